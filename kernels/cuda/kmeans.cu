// CUDA k-means assignment (kernels/kmeans.h): one warp per row of x; the lanes split the
// dimensions, sum (x - c)^2 for each centroid in turn, and reduce with shuffles in a fixed
// order, so a run is deterministic. Ties keep the lowest centroid index, as on the CPU.
#include <cstdint>

#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"
#include "kernels/kmeans.h"

namespace he::kernels::cuda {
namespace {

constexpr int kWarpsPerBlock = 8;
constexpr unsigned kFull = 0xffffffffu;

__global__ void kmeans_assign_kernel(const float* __restrict__ x, int64_t n, int64_t d,
                                     const float* __restrict__ c, int64_t k,
                                     int64_t* __restrict__ assign, float* __restrict__ dist2) {
  const int lane = threadIdx.x % 32;
  const int64_t warps = int64_t(gridDim.x) * kWarpsPerBlock;
  for (int64_t row = int64_t(blockIdx.x) * kWarpsPerBlock + threadIdx.x / 32; row < n;
       row += warps) {
    const float* xi = x + row * d;
    float best = 0;
    int64_t best_j = 0;
    for (int64_t j = 0; j < k; ++j) {
      const float* cj = c + j * d;
      float s = 0;
      for (int64_t t = lane; t < d; t += 32) {
        const float diff = xi[t] - cj[t];
        s = fmaf(diff, diff, s);
      }
      for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(kFull, s, o);
      if (j == 0 || s < best) best = s, best_j = j;  // every lane holds the same sum
    }
    if (lane == 0) assign[row] = best_j, dist2[row] = best;
  }
}

}  // namespace

void kmeans_assign(const float* x, int64_t n, int64_t d, const float* centroids, int64_t k,
                   int64_t* assign, float* dist2) {
  if (n <= 0 || k <= 0) return;
  Context& ctx = current_context();
  const unsigned blocks = detail::grid_for(n, kWarpsPerBlock);
  kmeans_assign_kernel<<<blocks, kWarpsPerBlock * 32, 0, ctx.stream>>>(x, n, d, centroids, k,
                                                                       assign, dist2);
  HE_CUDA_CHECK_LAUNCH("kmeans_assign_kernel");
}

}  // namespace he::kernels::cuda
