#pragma once
// k-means clustering of real-valued rows: k-means++ seeding (Arthur & Vassilvitskii,
// 'k-means++: The Advantages of Careful Seeding', SODA 2007) from a seeded Philox stream,
// then Lloyd iterations (Lloyd, 'Least squares quantization in PCM', 1982) whose assignment
// step is one GEMM per block of rows (kernels/kmeans.h). For pseudo-labels, the priors of
// variational hashing (DVB) and product-quantisation codebooks.
//
// Deterministic for a seed and a thread count: the seeding draws from Philox(seed), the
// centroid sums run over the points of each cluster in index order, in double.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace he::retrieval {

struct KMeansOptions {
  int64_t k = 8;
  int max_iter = 100;  // Lloyd updates at most
  // Stop when one iteration lowers the inertia by at most tol * inertia (or no point moves).
  double tol = 1e-4;
  uint64_t seed = 0;
};

struct KMeansResult {
  int64_t k = 0, d = 0;
  std::vector<float> centroids;  // (k,d) row-major
  std::vector<int64_t> assign;   // (n): the centroid of each row (ties: the lower index)
  double inertia = 0;            // sum of squared distances to the assigned centroids
  // The inertia after each assignment step, the first one right after the seeding; it never
  // increases (up to float rounding of the GEMM-based distances).
  std::vector<double> inertia_history;
  int iterations = 0;       // Lloyd updates done
  int64_t relocations = 0;  // empty clusters moved to far points, over all updates
  bool converged = false;
};

// x:(n,d) f32 row-major; 1 <= k <= n. Clusters left empty by an update take, in index order,
// the points farthest from their centroids. Throws std::invalid_argument on bad sizes.
KMeansResult kmeans(const float* x, int64_t n, int64_t d, const KMeansOptions& opt);

// k-means++ seeding alone: k rows of x chosen one by one, each with probability proportional
// to its squared distance to the nearest row already chosen. Returns their indices.
std::vector<int64_t> kmeans_plus_plus(const float* x, int64_t n, int64_t d, int64_t k,
                                      uint64_t seed);

}  // namespace he::retrieval
