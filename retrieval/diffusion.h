#pragma once
// Diffusion re-ranking (Iscen, Tolias, Avrithis, Furon, Chum, 'Efficient diffusion on region
// manifolds: recovering small objects with compact CNN representations', CVPR 2017), for
// global descriptors. Offline: the database's reciprocal k-NN graph by cosine similarity,
// a_ij = max(cos(x_i, x_j), 0)^gamma when i and j are among each other's graph_k nearest
// neighbours (i != j), normalised S = D^-1/2 A D^-1/2 with D = diag(A 1). Per query: y holds
// max(cos(q, x_j), 0)^gamma for the query's query_k nearest database rows (0 elsewhere), and
// the ranking is by f solving (I - alpha S) f = y (conjugate gradient; I - alpha S is
// symmetric positive definite for alpha < 1), descending, ties by database index. The paper
// uses gamma = 3 and alpha = 0.99.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "retrieval/float_search.h"

namespace he::retrieval {

struct DiffusionOptions {
  size_t graph_k = 50, query_k = 10;
  double alpha = 0.99, gamma = 3.0;
  int max_iter = 20;  // conjugate-gradient steps at most
  double tol = 1e-6;  // stop when |residual| <= tol |y|
  int threads = 0;
};

class DiffusionGraph {
 public:
  // db:(n,d) f32 row-major, n >= 2; graph_k is clamped to n - 1.
  static DiffusionGraph build(const float* db, size_t n, size_t d, const DiffusionOptions& opt);
  size_t size() const { return n_; }
  // f:(n) for one query's y (n), by conjugate gradient.
  std::vector<double> solve(const std::vector<double>& y) const;
  // The k best database rows of each query by f; scores = f. 1 <= k <= n.
  FloatKnnResult search(const float* queries, size_t nq, size_t k) const;
  // (I - alpha S) v, for the tests.
  std::vector<double> apply(const std::vector<double>& v) const;

 private:
  size_t n_ = 0, d_ = 0;
  DiffusionOptions opt_;
  std::vector<float> db_;          // the database, for the queries' neighbours
  std::vector<size_t> row_start_;  // CSR of S: (n + 1)
  std::vector<int64_t> col_;       // column of each non-zero
  std::vector<double> val_;        // S_ij
};

}  // namespace he::retrieval
