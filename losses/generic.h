#pragma once
// Generic losses: classification, regression, variational and metric learning.
// Every loss returns a 0-D tensor (mean reduction unless stated) of the input's float dtype
// (f32 or f64) and gets its gradient from the ops it is composed of.
#include <cstdint>

#include "engine/engine.h"

namespace he::losses {

// Cross-entropy from logits with class-index labels, mean over the batch.
//   L = mean_i [ (1 - eps) * -log p_i[y_i] + eps * mean_c(-log p_i[c]) ],  p = softmax(logits)
// eps = label_smoothing (the uniform-mixing form of Szegedy et al. 2016, as PyTorch).
// logits:(B,C) float, labels:(B) i64 in [0,C) -> scalar.
Tensor cross_entropy(const Tensor& logits, const Tensor& labels, double label_smoothing = 0.0);

// Binary cross-entropy on logits, mean over all elements, in the stable form
//   max(x,0) - x*y + log(1 + e^-|x|).
// logits, targets: same shape, float; targets in [0,1] -> scalar.
Tensor bce_with_logits(const Tensor& logits, const Tensor& targets);

// Mean squared error mean((x - y)^2); same shapes, float -> scalar.
Tensor mse(const Tensor& pred, const Tensor& target);

// Mean absolute error mean(|x - y|); same shapes, float -> scalar.
Tensor l1(const Tensor& pred, const Tensor& target);

// Smooth L1 (Girshick 2015, Fast R-CNN; Huber with scale 1/beta), mean over elements:
//   d = |x - y|;  0.5 d^2 / beta if d < beta, else d - 0.5 beta.  beta = 0 gives L1.
Tensor smooth_l1(const Tensor& pred, const Tensor& target, double beta = 1.0);

// KL( N(mu, e^logvar) || N(0, I) ) for diagonal Gaussians (Kingma & Welling 2014, App. B):
//   per row -1/2 * sum_d (1 + logvar - mu^2 - e^logvar), then mean over rows.
// mu, logvar:(B,D) float -> scalar.
Tensor kl_standard_normal(const Tensor& mu, const Tensor& logvar);

// KL( N(mu, e^logvar) || N(prior_mu, e^prior_logvar) ), diagonal, summed over D, mean over B:
//   1/2 * sum_d ( prior_logvar - logvar + (e^logvar + (mu - prior_mu)^2) / e^prior_logvar - 1 ).
// mu, logvar:(B,D); prior_mu, prior_logvar broadcastable to (B,D) (e.g. (D) or (B,D)).
Tensor kl_gaussian(const Tensor& mu, const Tensor& logvar, const Tensor& prior_mu,
                   const Tensor& prior_logvar);

// Contrastive loss on explicit pairs (Hadsell, Chopra & LeCun 2006), mean over pairs:
//   s * d^2 + (1 - s) * max(margin - d, 0)^2,  d = ||x1 - x2||_2.
// (The paper has a factor 1/2 on both terms; this is the common form without it.)
// x1, x2:(P,D) float; s:(P) float, 1 = similar, 0 = dissimilar -> scalar.
Tensor contrastive(const Tensor& x1, const Tensor& x2, const Tensor& s, double margin = 1.0);

// The same over all in-batch pairs i != j of emb:(B,D) with labels:(B) i64 (similar = same
// label), mean over the B*(B-1) ordered pairs.
Tensor contrastive_in_batch(const Tensor& emb, const Tensor& labels, double margin = 1.0);

// In-batch triplet mining for the triplet margin loss max(d_ap - d_an + margin, 0), d Euclidean.
enum class TripletMining {
  // Hermans, Beyer & Leibe 2017 ("In Defense of the Triplet Loss"): per anchor the hardest
  // positive (largest d_ap, p != a) and the hardest negative (smallest d_an); mean over
  // anchors that have both.
  BatchHard,
  // Schroff, Kalenichenko & Philbin 2015 (FaceNet): per positive pair (a,p), the closest
  // negative farther than the positive (d_an > d_ap); when there is none, the farthest
  // negative (as TensorFlow Addons' triplet_semihard_loss). Mean over positive pairs.
  SemiHard,
};

// emb:(B,D) float, labels:(B) i64 -> scalar (0 when the batch has no valid triplet).
Tensor triplet_margin(const Tensor& emb, const Tensor& labels, double margin = 1.0,
                      TripletMining mining = TripletMining::BatchHard);

}  // namespace he::losses
