// CUDA reductions (kernels/reduce.h) and row softmax (kernels/softmax.h): a block per row
// when the reduced elements are contiguous (inner == 1), a thread per output otherwise.
#include <cstdint>
#include <type_traits>

#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"
#include "kernels/reduce.h"
#include "kernels/softmax.h"

namespace he::kernels::cuda {
namespace {

constexpr int kThreads = 256;

template <class T>
using Acc = std::conditional_t<std::is_floating_point<T>::value, double, T>;

template <class T>
__device__ inline T combine(Reduce op, T a, T b) {
  return op == Reduce::Sum ? a + b : (op == Reduce::Max ? (b > a ? b : a) : (b < a ? b : a));
}

// Tree over the block's values in shared memory, in a fixed order. Returns the result to all.
template <class T, class F>
__device__ T block_reduce(T v, T* s, F f) {
  s[threadIdx.x] = v;
  __syncthreads();
  for (int o = kThreads / 2; o > 0; o >>= 1) {
    if (threadIdx.x < o) s[threadIdx.x] = f(s[threadIdx.x], s[threadIdx.x + o]);
    __syncthreads();
  }
  const T r = s[0];
  __syncthreads();  // s may be reused right after
  return r;
}

// x:(outer, r) -> out:(outer), one block per row (grid-stride over rows).
template <class T>
__global__ void reduce_rows_kernel(Reduce op, const T* __restrict__ x, T* __restrict__ out,
                                   int64_t outer, int64_t r) {
  __shared__ Acc<T> s[kThreads];
  for (int64_t o = blockIdx.x; o < outer; o += gridDim.x) {
    const T* row = x + o * r;
    Acc<T> acc = op == Reduce::Sum ? Acc<T>(0) : Acc<T>(row[0]);
    for (int64_t j = threadIdx.x; j < r; j += kThreads) acc = combine<Acc<T>>(op, acc, row[j]);
    acc = block_reduce(acc, s, [op](Acc<T> a, Acc<T> b) { return combine(op, a, b); });
    if (threadIdx.x == 0) out[o] = static_cast<T>(acc);
  }
}

// x:(outer, r, inner) -> out:(outer, inner), one thread per output, consecutive threads on
// consecutive inner elements (coalesced).
template <class T>
__global__ void reduce_cols_kernel(Reduce op, const T* __restrict__ x, T* __restrict__ out,
                                   int64_t outer, int64_t r, int64_t inner) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < outer * inner;
       i += int64_t(gridDim.x) * blockDim.x) {
    const T* p = x + (i / inner) * r * inner + i % inner;
    Acc<T> acc = p[0];
    for (int64_t j = 1; j < r; ++j) acc = combine<Acc<T>>(op, acc, p[j * inner]);
    out[i] = static_cast<T>(acc);
  }
}

// First max (min) along r, exactly the CPU's scan order.
template <class T>
__global__ void arg_reduce_kernel(bool is_max, const T* __restrict__ x, int64_t* __restrict__ out,
                                  int64_t outer, int64_t r, int64_t inner) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < outer * inner;
       i += int64_t(gridDim.x) * blockDim.x) {
    const T* p = x + (i / inner) * r * inner + i % inner;
    int64_t best = 0;
    T bv = p[0];
    for (int64_t j = 1; j < r; ++j) {
      const T v = p[j * inner];
      if (is_max ? v > bv : v < bv) bv = v, best = j;
    }
    out[i] = best;
  }
}

__device__ inline float m_exp(float v) { return expf(v); }
__device__ inline double m_exp(double v) { return exp(v); }

// x:(rows, cols) -> y:(rows, cols), one block per row; the sum of exponentials in double.
template <class T>
__global__ void softmax_rows_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t rows,
                                    int64_t cols, bool log_softmax) {
  __shared__ double s[kThreads];
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* in = x + row * cols;
    T* out = y + row * cols;
    double m = in[0];
    for (int64_t j = threadIdx.x; j < cols; j += kThreads) m = in[j] > m ? double(in[j]) : m;
    const T mx =
        static_cast<T>(block_reduce(m, s, [](double a, double b) { return b > a ? b : a; }));
    double sum = 0;  // shifted by the row max: every exponent <= 0
    for (int64_t j = threadIdx.x; j < cols; j += kThreads)
      sum += exp(static_cast<double>(in[j] - mx));
    sum = block_reduce(sum, s, [](double a, double b) { return a + b; });
    if (log_softmax) {
      const T lse = mx + static_cast<T>(log(sum));
      for (int64_t j = threadIdx.x; j < cols; j += kThreads) out[j] = in[j] - lse;
    } else {
      const T inv = static_cast<T>(1.0 / sum);
      for (int64_t j = threadIdx.x; j < cols; j += kThreads) out[j] = m_exp(in[j] - mx) * inv;
    }
  }
}

unsigned row_grid(int64_t rows) { return static_cast<unsigned>(rows < 65535 ? rows : 65535); }

}  // namespace

template <class T>
void reduce(Reduce op, const T* x, T* out, int64_t outer, int64_t r, int64_t inner) {
  if (outer <= 0 || inner <= 0 || r <= 0) return;
  Context& ctx = current_context();
  if (inner == 1) {
    reduce_rows_kernel<T><<<row_grid(outer), kThreads, 0, ctx.stream>>>(op, x, out, outer, r);
    HE_CUDA_CHECK_LAUNCH("reduce_rows_kernel");
  } else {
    reduce_cols_kernel<T>
        <<<detail::grid_for(outer * inner), kThreads, 0, ctx.stream>>>(op, x, out, outer, r, inner);
    HE_CUDA_CHECK_LAUNCH("reduce_cols_kernel");
  }
}

template <class T>
void arg_reduce(bool is_max, const T* x, int64_t* out, int64_t outer, int64_t r, int64_t inner) {
  if (outer <= 0 || inner <= 0 || r <= 0) return;
  Context& ctx = current_context();
  arg_reduce_kernel<T><<<detail::grid_for(outer * inner), kThreads, 0, ctx.stream>>>(
      is_max, x, out, outer, r, inner);
  HE_CUDA_CHECK_LAUNCH("arg_reduce_kernel");
}

template <class T>
void softmax_rows(const T* x, T* y, int64_t rows, int64_t cols, bool log) {
  if (rows <= 0 || cols <= 0) return;
  Context& ctx = current_context();
  softmax_rows_kernel<T><<<row_grid(rows), kThreads, 0, ctx.stream>>>(x, y, rows, cols, log);
  HE_CUDA_CHECK_LAUNCH("softmax_rows_kernel");
}

#define HE_INSTANTIATE(T)                                                   \
  template void reduce<T>(Reduce, const T*, T*, int64_t, int64_t, int64_t); \
  template void arg_reduce<T>(bool, const T*, int64_t*, int64_t, int64_t, int64_t);
HE_INSTANTIATE(float)
HE_INSTANTIATE(double)
HE_INSTANTIATE(int32_t)
HE_INSTANTIATE(int64_t)
HE_INSTANTIATE(uint8_t)
template void softmax_rows<float>(const float*, float*, int64_t, int64_t, bool);
template void softmax_rows<double>(const double*, double*, int64_t, int64_t, bool);

}  // namespace he::kernels::cuda
