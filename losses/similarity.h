#pragma once
// Label similarity matrices and hash centres for the hashing losses.
#include <cstdint>

#include "engine/engine.h"

namespace he::losses {

// Pairwise relevance S (protocol.md): s_ij = 1 when query i and database item j share a label.
//   single labels:  query:(B) i64, database:(N) i64            -> (B,N), s = [y_i == y_j]
//   multi-hot:      query:(B,C), database:(N,C), any numeric dtype -> (B,N), s = [<y_i,y_j> > 0]
// The result is a constant 0/1 tensor of dtype `dt` (f32 or f64).
Tensor similarity(const Tensor& query_labels, const Tensor& database_labels, DType dt = DType::f32);
// In-batch S = similarity(labels, labels), (B,B), diagonal included (s_ii = 1 for any item
// with at least one label).
Tensor similarity(const Tensor& labels, DType dt = DType::f32);

// Sylvester Hadamard matrix H_n (n a power of two): H_1 = [1], H_2n = [[H, H], [H, -H]].
// -> (n,n) of dtype dt, entries +-1.
Tensor hadamard(int64_t n, DType dt = DType::f32);

// Hash centres for CSQ (Yuan et al. 2020, "Central Similarity Quantization"):
//   bits a power of two and 2*bits >= num_classes: the first num_classes rows of [H; -H];
//   otherwise random +-1 rows drawn from Generator(seed), each at Hamming distance >= bits/4
//   from every earlier row (throws std::runtime_error when that cannot be met).
// -> (num_classes, bits) of dtype dt, entries +-1.
Tensor hash_centers(int64_t num_classes, int64_t bits, uint64_t seed = 0, DType dt = DType::f32);

// The centre of each sample:
//   labels:(B) i64            -> rows of centers, (B,bits);
//   labels:(B,C) multi-hot    -> sign(labels @ centers) with sign(0) = +1, (B,bits).
// centers:(C,bits) float; the result has centers' dtype and is a constant.
Tensor centers_for_labels(const Tensor& centers, const Tensor& labels);

}  // namespace he::losses
