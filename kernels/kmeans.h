#pragma once
// k-means assignment step (the inner loop of retrieval/kmeans.h): for every row of x, the
// nearest centroid in squared Euclidean distance.
//   x:(n,d) f32, centroids:(k,d) f32 -> assign:(n) i64 (ties: the lowest centroid index),
//   dist2:(n) f32 = ||x_i - c_assign||^2 (>= 0).
// The CPU kernel forms ||x||^2 - 2 x.c + ||c||^2 with one GEMM per block of rows (OpenBLAS),
// OpenMP over the rows for the arg-min. The CUDA kernel sums (x - c)^2 directly (one warp
// per row), so the two agree to rounding, not bit for bit: a row whose two best centroids
// are within rounding of each other may be assigned differently.
#include <cstdint>

namespace he::kernels::cpu {
void kmeans_assign(const float* x, int64_t n, int64_t d, const float* centroids, int64_t k,
                   int64_t* assign, float* dist2);
}  // namespace he::kernels::cpu

// The same on the current CUDA device: every pointer is device memory; the work is enqueued
// on the device's context stream and the call returns at once.
namespace he::kernels::cuda {
void kmeans_assign(const float* x, int64_t n, int64_t d, const float* centroids, int64_t k,
                   int64_t* assign, float* dist2);
}  // namespace he::kernels::cuda
