// CUDA random fills (kernels/random.h): element i draws Philox counter first + i, exactly as
// on the CPU, so uniform and Bernoulli draws are bit-identical across devices (integer
// arithmetic and one exact scaling); normal draws agree to the last bits of log and cos.
#include <cstdint>

#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"
#include "kernels/philox.h"
#include "kernels/random.h"

namespace he::kernels::cuda {
namespace {

constexpr int kThreads = 256;

#define HE_GRID_STRIDE(i, n)                                                \
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += int64_t(gridDim.x) * blockDim.x)

template <class T>
__global__ void uniform_kernel(T* __restrict__ y, int64_t n, uint64_t key, uint64_t first,
                               double lo, double hi) {
  // Explicit roundings: nvcc would fuse lo + w * u into one FMA, which the CPU does not do.
  HE_GRID_STRIDE(i, n) {
    y[i] = static_cast<T>(__dadd_rn(lo, __dmul_rn(hi - lo, philox::uniform_at(key, first + i))));
  }
}

template <class T>
__global__ void normal_kernel(T* __restrict__ y, int64_t n, uint64_t key, uint64_t first,
                              double mean, double std) {
  HE_GRID_STRIDE(i, n) { y[i] = static_cast<T>(mean + std * philox::normal_at(key, first + i)); }
}

template <class T>
__global__ void bernoulli_kernel(T* __restrict__ y, int64_t n, uint64_t key, uint64_t first,
                                 double p) {
  HE_GRID_STRIDE(i, n) { y[i] = philox::uniform_at(key, first + i) < p ? T(1) : T(0); }
}

#undef HE_GRID_STRIDE

}  // namespace

template <class T>
void uniform(T* y, int64_t n, uint64_t key, uint64_t first, double lo, double hi) {
  if (n <= 0) return;
  Context& ctx = current_context();
  uniform_kernel<T><<<detail::grid_for(n), kThreads, 0, ctx.stream>>>(y, n, key, first, lo, hi);
  HE_CUDA_CHECK_LAUNCH("uniform_kernel");
}

template <class T>
void normal(T* y, int64_t n, uint64_t key, uint64_t first, double mean, double std) {
  if (n <= 0) return;
  Context& ctx = current_context();
  normal_kernel<T><<<detail::grid_for(n), kThreads, 0, ctx.stream>>>(y, n, key, first, mean, std);
  HE_CUDA_CHECK_LAUNCH("normal_kernel");
}

template <class T>
void bernoulli(T* y, int64_t n, uint64_t key, uint64_t first, double p) {
  if (n <= 0) return;
  Context& ctx = current_context();
  bernoulli_kernel<T><<<detail::grid_for(n), kThreads, 0, ctx.stream>>>(y, n, key, first, p);
  HE_CUDA_CHECK_LAUNCH("bernoulli_kernel");
}

template void uniform<float>(float*, int64_t, uint64_t, uint64_t, double, double);
template void uniform<double>(double*, int64_t, uint64_t, uint64_t, double, double);
template void normal<float>(float*, int64_t, uint64_t, uint64_t, double, double);
template void normal<double>(double*, int64_t, uint64_t, uint64_t, double, double);
template void bernoulli<float>(float*, int64_t, uint64_t, uint64_t, double);
template void bernoulli<double>(double*, int64_t, uint64_t, uint64_t, double);

}  // namespace he::kernels::cuda
