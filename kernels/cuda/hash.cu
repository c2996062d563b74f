// CUDA versions of the fused hashing kernels (kernels/hash.h; the CPU reference is
// kernels/cpu/hash.cpp).
#include <cstdint>

#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"
#include "kernels/hash.h"

namespace he::kernels::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kWarpsPerBlock = kThreads / 32;
constexpr unsigned kMaxBlocks = 4096;  // fixed, so the error's summation order is too
constexpr unsigned kFull = 0xffffffffu;

__device__ inline float dev_tanh(float v) { return tanhf(v); }
__device__ inline double dev_tanh(double v) { return tanh(v); }
// y * y rounded on its own: nvcc would otherwise fuse 1 - y*y into one FMA, which near
// |y| = 1 differs from the CPU's result by far more than an ulp of the (small) difference.
__device__ inline float mul_rn(float a, float b) { return __fmul_rn(a, b); }
__device__ inline double mul_rn(double a, double b) { return __dmul_rn(a, b); }

// One warp per (row, 64-bit word): lane l handles bits w*64 + l and w*64 + 32 + l, so one
// ballot per half gives the word. Grid-stride over the n * words warp items.
// h:(n,bits) T -> b:(n,bits) T, packed:(n,words) u64 (optional), partial:(gridDim.x) f64.
template <class T>
__global__ void sign_pack_kernel(const T* __restrict__ h, T* __restrict__ b,
                                 uint64_t* __restrict__ packed, int64_t n, int64_t bits,
                                 int64_t words, double* __restrict__ partial) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int64_t items = n * words;
  double err = 0;
  // The loop bound is the same for all lanes of a warp, so every ballot has the full warp.
  for (int64_t item = int64_t(blockIdx.x) * kWarpsPerBlock + warp; item < items;
       item += int64_t(gridDim.x) * kWarpsPerBlock) {
    const int64_t row = item / words, w = item % words;
    unsigned half[2];
    for (int s = 0; s < 2; ++s) {
      const int64_t j = w * 64 + s * 32 + lane;
      bool one = false;
      if (j < bits) {
        const T v = h[row * bits + j];
        one = v >= T(0);
        const T bv = one ? T(1) : T(-1);
        b[row * bits + j] = bv;
        const double d = static_cast<double>(v - bv);
        err += d * d;
      }
      half[s] = __ballot_sync(kFull, one);
    }
    if (packed && lane == 0)
      packed[row * words + w] = uint64_t(half[0]) | (uint64_t(half[1]) << 32);
  }
  // Block sum in a fixed order: warp shuffles, then warp 0 over the warp sums.
  __shared__ double warp_sum[kWarpsPerBlock];
  for (int o = 16; o > 0; o >>= 1) err += __shfl_down_sync(kFull, err, o);
  if (lane == 0) warp_sum[warp] = err;
  __syncthreads();
  if (threadIdx.x == 0) {
    double s = 0;
    for (int i = 0; i < kWarpsPerBlock; ++i) s += warp_sum[i];
    partial[blockIdx.x] = s;
  }
}

// partial:(count) -> *out = sum, one block, fixed order.
__global__ void sum_partials_kernel(const double* __restrict__ partial, unsigned count,
                                    double* __restrict__ out) {
  __shared__ double s[kThreads];
  double acc = 0;
  for (unsigned i = threadIdx.x; i < count; i += kThreads) acc += partial[i];
  s[threadIdx.x] = acc;
  __syncthreads();
  for (int o = kThreads / 2; o > 0; o >>= 1) {
    if (threadIdx.x < o) s[threadIdx.x] += s[threadIdx.x + o];
    __syncthreads();
  }
  if (threadIdx.x == 0) *out = s[0];
}

template <class T>
__global__ void ste_clipped_kernel(const T* __restrict__ g, const T* __restrict__ h,
                                   T* __restrict__ dh, int64_t count) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x)
    dh[i] = (h[i] <= T(1) && h[i] >= T(-1)) ? g[i] : T(0);
}

template <class T>
__global__ void continuation_forward_kernel(const T* __restrict__ x, T* __restrict__ y,
                                            int64_t count, T beta) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x)
    y[i] = dev_tanh(beta * x[i]);
}

template <class T>
__global__ void continuation_backward_kernel(const T* __restrict__ g, const T* __restrict__ y,
                                             T* __restrict__ dx, int64_t count, T beta) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < count;
       i += int64_t(gridDim.x) * blockDim.x)
    dx[i] = g[i] * beta * (T(1) - mul_rn(y[i], y[i]));
}

}  // namespace

template <class T>
double sign_pack(const T* h, T* b, uint64_t* packed, int64_t n, int64_t bits) {
  if (n <= 0 || bits <= 0) return 0.0;
  Context& ctx = current_context();
  const int64_t words = (bits + 63) / 64;
  const unsigned blocks = detail::grid_for(n * words, kWarpsPerBlock, kMaxBlocks);
  std::lock_guard<std::mutex> lock(ctx.mu);
  auto* partial = static_cast<double*>(ctx.workspace(sizeof(double) * (blocks + 1)));
  double* total = partial + blocks;
  sign_pack_kernel<T><<<blocks, kThreads, 0, ctx.stream>>>(h, b, packed, n, bits, words, partial);
  HE_CUDA_CHECK_LAUNCH("sign_pack_kernel");
  sum_partials_kernel<<<1, kThreads, 0, ctx.stream>>>(partial, blocks, total);
  HE_CUDA_CHECK_LAUNCH("sum_partials_kernel");
  double err = 0;
  HE_CUDA_CHECK(cudaMemcpyAsync(&err, total, sizeof(double), cudaMemcpyDeviceToHost, ctx.stream));
  HE_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
  return err;
}

template <class T>
void sign_ste_backward(const T* g, const T* h, T* dh, int64_t count, bool clipped) {
  if (count <= 0) return;
  Context& ctx = current_context();
  if (!clipped) {
    HE_CUDA_CHECK(cudaMemcpyAsync(dh, g, sizeof(T) * count, cudaMemcpyDeviceToDevice, ctx.stream));
    return;
  }
  ste_clipped_kernel<T><<<detail::grid_for(count), kThreads, 0, ctx.stream>>>(g, h, dh, count);
  HE_CUDA_CHECK_LAUNCH("ste_clipped_kernel");
}

template <class T>
void continuation_forward(const T* x, T* y, int64_t count, double beta) {
  if (count <= 0) return;
  Context& ctx = current_context();
  continuation_forward_kernel<T>
      <<<detail::grid_for(count), kThreads, 0, ctx.stream>>>(x, y, count, static_cast<T>(beta));
  HE_CUDA_CHECK_LAUNCH("continuation_forward_kernel");
}

template <class T>
void continuation_backward(const T* g, const T* y, T* dx, int64_t count, double beta) {
  if (count <= 0) return;
  Context& ctx = current_context();
  continuation_backward_kernel<T>
      <<<detail::grid_for(count), kThreads, 0, ctx.stream>>>(g, y, dx, count, static_cast<T>(beta));
  HE_CUDA_CHECK_LAUNCH("continuation_backward_kernel");
}

#define HE_INSTANTIATE(T)                                                    \
  template double sign_pack<T>(const T*, T*, uint64_t*, int64_t, int64_t);   \
  template void sign_ste_backward<T>(const T*, const T*, T*, int64_t, bool); \
  template void continuation_forward<T>(const T*, T*, int64_t, double);      \
  template void continuation_backward<T>(const T*, const T*, T*, int64_t, double);
HE_INSTANTIATE(float)
HE_INSTANTIATE(double)

}  // namespace he::kernels::cuda
