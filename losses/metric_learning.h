#pragma once
// Pair-weighting metric-learning losses on embeddings (the contrastive and triplet losses
// are in generic.h). Returns a 0-D tensor of the input's float dtype.
#include "engine/engine.h"

namespace he::losses {

// Multi-similarity loss (Wang, Han, Huang, Dong, Scott, 'Multi-similarity loss with general
// pair weighting for deep metric learning', CVPR 2019). With S = emb emb^T (cosine for
// unit rows) and, per anchor i, the pairs kept by the paper's mining
//   positives P_i: same label, j != i, S_ij < max_{k neg} S_ik + eps
//   negatives N_i: other label,          S_ij > min_{k pos} S_ik - eps
// (anchors without a positive or a negative contribute 0; the mining is a constant):
//   L = mean_i [ 1/alpha log(1 + sum_{P_i} e^{-alpha (S_ij - lambda)})
//              + 1/beta  log(1 + sum_{N_i} e^{ beta (S_ij - lambda)}) ].
// The paper's settings: alpha = 2, beta = 50, lambda = 1 (0.5 in its released code), eps = 0.1.
// emb:(B,D) float; labels:(B) i64 or (B,C) multi-hot (similar = a shared label) -> scalar.
Tensor multi_similarity(const Tensor& emb, const Tensor& labels, double alpha = 2.0,
                        double beta = 50.0, double lambda = 0.5, double eps = 0.1);

}  // namespace he::losses
