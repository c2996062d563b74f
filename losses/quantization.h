#pragma once
// Losses and the differentiable quantiser of the deep product-quantisation models
// (recipes.md, "Quantisation"). A descriptor z:(B,D) is cut into M sub-vectors of D/M dims,
// each replaced by one of K codewords of its subspace; the codebook is (M,K,D/M), the layout
// of retrieval::ProductQuantizer::centroids, so a trained codebook serves the PQ index as is.
// All tensors share one float dtype (f32 or f64); every loss returns a 0-D tensor.
#include "engine/engine.h"

namespace he::losses {

// DQN's pairwise cosine loss (Cao, Long, Wang, Zhu & Wen 2016, 'Deep Quantization Network for
// Efficient Image Retrieval', AAAI): with s_ij = 1 for pairs that share a label and
// s_ij = `dissimilar` otherwise,
//   L = mean_ij ( s_ij - cos(z_i, z_j) )^2
// over all in-batch pairs (B x B, diagonal included). S:(B,B) the 0/1 similarity of
// losses/similarity.h; a zero row has cosine 0 with every row. The paper's targets are +1 / -1
// (dissimilar = -1); the zoo's dqn uses 0 (zoo/models/quantization.cpp says why).
Tensor dqn_cosine(const Tensor& z, const Tensor& S, double dissimilar = -1.0);

// The product-quantisation loss of DQN: mean_i || z_i - zq_i ||^2, zq:(B,D) the
// reconstructions from the current codebook (a constant: the codebook is learned by the
// alternating step, not by this gradient).
Tensor pq_quantization_error(const Tensor& z, const Tensor& zq);

// DPQ's quantiser (Klein & Wolf 2019, 'End-to-End Supervised Product Quantization for Image
// Search and Retrieval', CVPR): per subspace m, assignment probabilities
//   p_mk = softmax_k( -alpha || x_m - c_mk ||^2 ),
// the soft sub-vector s_m = sum_k p_mk c_mk, and the hard one h_m = c_{m, argmax_k p_mk} (the
// nearest codeword, ties to the lower index, as the PQ encoder). The returned `hard` carries
// the soft sub-vector's gradient (straight-through: h + s - detach(s)), so losses on the hard
// representation train both the network and the codebook.
// x:(B,D), codebook:(M,K,D/M) -> soft, hard:(B,D), codes:(B,M) i64.
struct SoftHardPq {
  Tensor soft, hard, codes;
};
SoftHardPq soft_hard_pq(const Tensor& x, const Tensor& codebook, double alpha = 1.0);

// DPQ's joint central loss: soft and hard representations of an item are both pulled to its
// class centre, which makes them discriminative and close to each other:
//   L = mean_i ( ||soft_i - c_{y_i}||^2 + ||hard_i - c_{y_i}||^2 ) / 2,
// soft, hard:(B,D), centers:(C,D) (learned), labels:(B) i64 in [0, C).
Tensor joint_central(const Tensor& soft, const Tensor& hard, const Tensor& centers,
                     const Tensor& labels);

}  // namespace he::losses
