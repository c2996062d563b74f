#include "kernels/kmeans.h"

#include <algorithm>
#include <vector>

#include "kernels/blas.h"

namespace he::kernels::cpu {

void kmeans_assign(const float* x, int64_t n, int64_t d, const float* centroids, int64_t k,
                   int64_t* assign, float* dist2) {
  if (n <= 0 || k <= 0) return;
  std::vector<float> cnorm(k);
  for (int64_t j = 0; j < k; ++j) {
    double s = 0;
    for (int64_t t = 0; t < d; ++t) s += double(centroids[j * d + t]) * centroids[j * d + t];
    cnorm[j] = static_cast<float>(s);
  }
  // Rows per GEMM: bounds the (rows, k) score block to about 16 MB.
  const int64_t block = std::max<int64_t>(1, std::min<int64_t>(n, (int64_t{1} << 22) / k));
  std::vector<float> S(block * k);
  for (int64_t r0 = 0; r0 < n; r0 += block) {
    const int64_t rb = std::min(block, n - r0);
    // S = X_block (rb,d) C^T (d,k)
    gemm(false, true, rb, k, d, 1.0f, x + r0 * d, d, centroids, d, 0.0f, S.data(), k);
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < rb; ++i) {
      const float* xi = x + (r0 + i) * d;
      double xn = 0;
      for (int64_t t = 0; t < d; ++t) xn += double(xi[t]) * xi[t];
      const float* s = &S[i * k];
      int64_t best = 0;
      float best_key = cnorm[0] - 2.0f * s[0];
      for (int64_t j = 1; j < k; ++j) {
        const float key = cnorm[j] - 2.0f * s[j];
        if (key < best_key) best_key = key, best = j;  // strict: ties keep the lower index
      }
      assign[r0 + i] = best;
      dist2[r0 + i] = std::max(0.0f, static_cast<float>(xn + best_key));
    }
  }
}

}  // namespace he::kernels::cpu
