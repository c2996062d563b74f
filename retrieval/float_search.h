#pragma once
// Exact k-NN for real-valued descriptors: inner product, cosine or squared L2, computed
// block-wise with GEMM (OpenBLAS sgemm) and a bounded heap per query. Order: best first
// (largest similarity / smallest distance), ties by ascending database index.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace he::retrieval {

enum class FloatMetric { InnerProduct, Cosine, L2 };

// ids:(nq,k); scores:(nq,k) = similarity (InnerProduct, Cosine) or squared distance (L2).
struct FloatKnnResult {
  size_t nq = 0, k = 0;
  std::vector<int64_t> ids;
  std::vector<float> scores;
};

// The rows of x:(n,d) scaled to unit L2 norm (norm summed in double); a zero row stays zero.
std::vector<float> unit_rows(const float* x, size_t n, size_t d);
// The same, in place.
void normalize_rows(float* x, size_t n, size_t d);

// db:(n,d) f32, queries:(nq,d) f32, row-major. Requires 1 <= k <= n. Cosine treats a zero
// vector as having similarity 0 with everything.
FloatKnnResult float_knn(const float* db, size_t n, const float* queries, size_t nq, size_t d,
                         size_t k, FloatMetric metric, int threads = 0);

}  // namespace he::retrieval
