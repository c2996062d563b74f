// CUDA gradient checks for clipping and the non-finite guard (kernels/optim.h): per-block
// partials in double, then one block over the partials, in a fixed order (the grid size
// depends on n only), so the same gradient gives the same norm on every run.
#include <cmath>
#include <cstdint>

#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"
#include "kernels/optim.h"

namespace he::kernels::cuda {
namespace {

constexpr int kThreads = 256;
constexpr unsigned kMaxBlocks = 1024;

// sum |x|^p, or, for infinite p, max |x| with NaN winning (as the CPU reference).
__device__ inline double combine(double a, double b, bool inf) {
  if (!inf) return a + b;
  if (a != a || b != b) return a != a ? a : b;
  return a > b ? a : b;
}

template <class T>
__device__ inline double term(T v, double p, bool inf) {
  const double a = fabs(static_cast<double>(v));
  return inf ? a : (p == 2 ? static_cast<double>(v) * static_cast<double>(v) : pow(a, p));
}

// Tree over the block in shared memory; thread 0 gets the block's value.
__device__ inline double block_combine(double v, double* s, bool inf) {
  s[threadIdx.x] = v;
  __syncthreads();
  for (int o = kThreads / 2; o > 0; o >>= 1) {
    if (threadIdx.x < o) s[threadIdx.x] = combine(s[threadIdx.x], s[threadIdx.x + o], inf);
    __syncthreads();
  }
  return s[0];
}

template <class T>
__global__ void norm_partials_kernel(const T* __restrict__ x, int64_t n, double p, bool inf,
                                     double* __restrict__ partial) {
  __shared__ double s[kThreads];
  double acc = 0;
  for (int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * kThreads)
    acc = combine(acc, term(x[i], p, inf), inf);
  const double block = block_combine(acc, s, inf);
  if (threadIdx.x == 0) partial[blockIdx.x] = block;
}

__global__ void combine_partials_kernel(const double* __restrict__ partial, unsigned count,
                                        bool inf, double* __restrict__ out) {
  __shared__ double s[kThreads];
  double acc = 0;
  for (unsigned i = threadIdx.x; i < count; i += kThreads) acc = combine(acc, partial[i], inf);
  const double total = block_combine(acc, s, inf);
  if (threadIdx.x == 0) *out = total;
}

template <class T>
__global__ void nonfinite_kernel(const T* __restrict__ x, int64_t n, int* __restrict__ found) {
  for (int64_t i = int64_t(blockIdx.x) * kThreads + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * kThreads)
    if (!isfinite(x[i])) *found = 1;  // every writer writes 1: no atomic needed
}

}  // namespace

template <class T>
double grad_norm_part(const T* x, int64_t n, double p) {
  if (n <= 0) return 0.0;
  const bool inf = std::isinf(p);
  Context& ctx = current_context();
  const unsigned blocks = detail::grid_for(n, kThreads, kMaxBlocks);
  std::lock_guard<std::mutex> lock(ctx.mu);
  auto* partial = static_cast<double*>(ctx.workspace(sizeof(double) * (blocks + 1)));
  double* total = partial + blocks;
  norm_partials_kernel<T><<<blocks, kThreads, 0, ctx.stream>>>(x, n, p, inf, partial);
  HE_CUDA_CHECK_LAUNCH("norm_partials_kernel");
  combine_partials_kernel<<<1, kThreads, 0, ctx.stream>>>(partial, blocks, inf, total);
  HE_CUDA_CHECK_LAUNCH("combine_partials_kernel");
  double out = 0;
  HE_CUDA_CHECK(cudaMemcpyAsync(&out, total, sizeof(double), cudaMemcpyDeviceToHost, ctx.stream));
  HE_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
  return out;
}

template <class T>
bool any_nonfinite(const T* x, int64_t n) {
  if (n <= 0) return false;
  Context& ctx = current_context();
  std::lock_guard<std::mutex> lock(ctx.mu);
  int* found = static_cast<int*>(ctx.workspace(sizeof(int)));
  HE_CUDA_CHECK(cudaMemsetAsync(found, 0, sizeof(int), ctx.stream));
  nonfinite_kernel<T>
      <<<detail::grid_for(n, kThreads, kMaxBlocks), kThreads, 0, ctx.stream>>>(x, n, found);
  HE_CUDA_CHECK_LAUNCH("nonfinite_kernel");
  int host = 0;
  HE_CUDA_CHECK(cudaMemcpyAsync(&host, found, sizeof(int), cudaMemcpyDeviceToHost, ctx.stream));
  HE_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
  return host != 0;
}

template double grad_norm_part<float>(const float*, int64_t, double);
template double grad_norm_part<double>(const double*, int64_t, double);
template bool any_nonfinite<float>(const float*, int64_t);
template bool any_nonfinite<double>(const double*, int64_t);

}  // namespace he::kernels::cuda
