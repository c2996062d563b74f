#pragma once
// Optimised product quantisation, non-parametric form (Ge, He, Ke & Sun, 'Optimized Product
// Quantization for Approximate Nearest Neighbor Search', CVPR 2013): an orthogonal rotation R
// of the data before PQ, learnt by alternating (1) PQ training on the rotated rows x R and
// (2) the orthogonal Procrustes step R = U V^T from the SVD U S V^T of X^T Y, Y the PQ
// reconstructions; each step lowers the quantisation error ||x R - y||^2.
#include <cstdint>
#include <vector>

#include "retrieval/pq.h"

namespace he::retrieval {

struct OpqOptions {
  int iterations = 10;             // alternations
  int pq_iter_per_round = 4;       // k-means iterations per subspace in each alternation
  int64_t max_train_rows = 20000;  // rows used for the alternations (subsampled, seeded)
  uint64_t seed = 0;
};

struct OpqResult {
  std::vector<float> rotation;        // (d,d) row-major, orthogonal; rotated = x R
  std::vector<double> error_history;  // mean squared quantisation error after each PQ step
};

// x:(n,d) f32 -> the rotation for an (m, nbits) PQ.
OpqResult train_opq(const float* x, int64_t n, int64_t d, int64_t m, int nbits,
                    const OpqOptions& opt = {});

// x:(n,d) -> out:(n,d) = x R (R:(d,d) row-major), one GEMM.
void apply_rotation(const float* x, int64_t n, int64_t d, const float* rotation, float* out);

}  // namespace he::retrieval
