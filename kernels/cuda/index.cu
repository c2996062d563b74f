// CUDA index kernels (kernels/index.h): one thread per output (select, gather) or per source
// element (the adds). The adds use atomics, so repeated indices are summed in an order that
// may change from run to run: equal to the CPU's to rounding, not bit for bit.
#include <cstdint>

#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"
#include "kernels/index.h"

namespace he::kernels::cuda {
namespace {

constexpr int kThreads = 256;

__device__ inline void atomic_add(float* p, float v) { atomicAdd(p, v); }
__device__ inline void atomic_add(double* p, double v) { atomicAdd(p, v); }
__device__ inline void atomic_add(int32_t* p, int32_t v) { atomicAdd(p, v); }
__device__ inline void atomic_add(int64_t* p, int64_t v) {  // two's complement wraps alike
  atomicAdd(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(v));
}
__device__ inline void atomic_add(uint64_t* p, uint64_t v) {
  atomicAdd(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(v));
}
// No byte atomics in CUDA: compare-and-swap the aligned 32-bit word holding the byte.
__device__ inline void atomic_add(uint8_t* p, uint8_t v) {
  const uintptr_t addr = reinterpret_cast<uintptr_t>(p);
  unsigned int* word = reinterpret_cast<unsigned int*>(addr & ~uintptr_t{3});
  const unsigned int shift = static_cast<unsigned int>(addr & 3) * 8;
  unsigned int old = *word, assumed;
  do {
    assumed = old;
    const unsigned int byte = ((assumed >> shift) + v) & 0xFFu;
    old = atomicCAS(word, assumed, (assumed & ~(0xFFu << shift)) | (byte << shift));
  } while (old != assumed);
}

#define HE_GRID_STRIDE(i, count)                                                \
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (count); \
       i += int64_t(gridDim.x) * blockDim.x)

// out(outer, n, inner) = x[:, idx[j], :]
template <class T>
__global__ void index_select_kernel(const T* __restrict__ x, const int64_t* __restrict__ idx,
                                    T* __restrict__ out, int64_t d, int64_t n, int64_t inner,
                                    int64_t total) {
  HE_GRID_STRIDE(p, total) {
    const int64_t i = p % inner, j = (p / inner) % n, o = p / (inner * n);
    out[p] = x[(o * d + idx[j]) * inner + i];
  }
}

// out(outer, D, inner)[:, idx[j], :] += src(outer, n, inner)[:, j, :]
template <class T>
__global__ void index_add_kernel(const T* __restrict__ src, const int64_t* __restrict__ idx,
                                 T* __restrict__ out, int64_t d, int64_t n, int64_t inner,
                                 int64_t total) {
  HE_GRID_STRIDE(p, total) {
    const int64_t i = p % inner, j = (p / inner) % n, o = p / (inner * n);
    atomic_add(out + (o * d + idx[j]) * inner + i, src[p]);
  }
}

// out(outer, n, inner)[o, j, i] = x[o, idx[o, j, i], i]
template <class T>
__global__ void gather_kernel(const T* __restrict__ x, const int64_t* __restrict__ idx,
                              T* __restrict__ out, int64_t d, int64_t n, int64_t inner,
                              int64_t total) {
  HE_GRID_STRIDE(p, total) {
    const int64_t i = p % inner, o = p / (inner * n);
    out[p] = x[(o * d + idx[p]) * inner + i];
  }
}

// out(outer, D, inner)[o, idx[o, j, i], i] += src[o, j, i]
template <class T>
__global__ void scatter_add_kernel(const T* __restrict__ src, const int64_t* __restrict__ idx,
                                   T* __restrict__ out, int64_t d, int64_t n, int64_t inner,
                                   int64_t total) {
  HE_GRID_STRIDE(p, total) {
    const int64_t i = p % inner, o = p / (inner * n);
    atomic_add(out + (o * d + idx[p]) * inner + i, src[p]);
  }
}

// out(n, classes): 1 where the column is the row's label, else 0.
template <class T>
__global__ void one_hot_kernel(const int64_t* __restrict__ labels, T* __restrict__ out,
                               int64_t classes, int64_t total) {
  HE_GRID_STRIDE(p, total) { out[p] = labels[p / classes] == p % classes ? T(1) : T(0); }
}

#undef HE_GRID_STRIDE

// Launches one of the kernels above over outer * n * inner elements.
template <class T, class Kernel>
void launch(Kernel kernel, const char* name, const T* in, const int64_t* idx, T* out, int64_t outer,
            int64_t d, int64_t n, int64_t inner) {
  const int64_t total = outer * n * inner;
  if (total <= 0) return;
  Context& ctx = current_context();
  kernel<<<detail::grid_for(total), kThreads, 0, ctx.stream>>>(in, idx, out, d, n, inner, total);
  detail::check_cuda(cudaGetLastError(), name, __FILE__, __LINE__);
}

}  // namespace

template <class T>
void index_select(const T* x, const int64_t* idx, T* out, int64_t outer, int64_t d, int64_t n,
                  int64_t inner) {
  launch(index_select_kernel<T>, "index_select_kernel", x, idx, out, outer, d, n, inner);
}
template <class T>
void index_add(const T* src, const int64_t* idx, T* out, int64_t outer, int64_t d, int64_t n,
               int64_t inner) {
  launch(index_add_kernel<T>, "index_add_kernel", src, idx, out, outer, d, n, inner);
}
template <class T>
void gather(const T* x, const int64_t* idx, T* out, int64_t outer, int64_t d, int64_t n,
            int64_t inner) {
  launch(gather_kernel<T>, "gather_kernel", x, idx, out, outer, d, n, inner);
}
template <class T>
void scatter_add(const T* src, const int64_t* idx, T* out, int64_t outer, int64_t d, int64_t n,
                 int64_t inner) {
  launch(scatter_add_kernel<T>, "scatter_add_kernel", src, idx, out, outer, d, n, inner);
}

template <class T>
void one_hot(const int64_t* labels, T* out, int64_t n, int64_t classes) {
  const int64_t total = n * classes;
  if (total <= 0) return;
  Context& ctx = current_context();
  one_hot_kernel<T>
      <<<detail::grid_for(total), kThreads, 0, ctx.stream>>>(labels, out, classes, total);
  HE_CUDA_CHECK_LAUNCH("one_hot_kernel");
}

#define HE_INSTANTIATE(T)                                                                          \
  template void index_select<T>(const T*, const int64_t*, T*, int64_t, int64_t, int64_t, int64_t); \
  template void index_add<T>(const T*, const int64_t*, T*, int64_t, int64_t, int64_t, int64_t);    \
  template void gather<T>(const T*, const int64_t*, T*, int64_t, int64_t, int64_t, int64_t);       \
  template void scatter_add<T>(const T*, const int64_t*, T*, int64_t, int64_t, int64_t, int64_t);  \
  template void one_hot<T>(const int64_t*, T*, int64_t, int64_t);
HE_INSTANTIATE(float)
HE_INSTANTIATE(double)
HE_INSTANTIATE(int32_t)
HE_INSTANTIATE(int64_t)
HE_INSTANTIATE(uint8_t)
HE_INSTANTIATE(uint64_t)
#undef HE_INSTANTIATE

}  // namespace he::kernels::cuda
