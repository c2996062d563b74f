#pragma once
// Query expansion for real-valued descriptors: the query is replaced by a weighted sum of
// itself and its top neighbours in the database, then searched again.
//   q' = L2( q^ + sum_{i<=top} w_i x^_i ),  ^ = L2-normalised, neighbours by cosine,
//   w_i = max(cos(q, x_i), 0)^alpha.
// alpha = 0 is average query expansion (Chum, Philbin, Sivic, Isard, Zisserman, 'Total
// recall', ICCV 2007); alpha > 0 is alpha-QE (Radenovic, Tolias, Chum, TPAMI 2018, alpha = 3
// there), where weak neighbours count less.
#include <cstddef>
#include <vector>

namespace he::retrieval {

// db:(n,d), queries:(nq,d) f32 row-major; 1 <= top <= n, alpha >= 0 -> (nq,d) unit rows.
std::vector<float> expand_queries(const float* db, size_t n, const float* queries, size_t nq,
                                  size_t d, size_t top, double alpha, int threads = 0);

}  // namespace he::retrieval
