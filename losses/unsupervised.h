#pragma once
// Losses of the unsupervised and semi-supervised hashing recipes (recipes.md, 'Autoencoders,
// variational, unsupervised'). Notation: p:(B,bits) sigmoid activations in (0,1), the code
// bit is 1[p >= 1/2] (the sign of the pre-activation, sign(0) = +1); h:(B,bits) any
// real-valued codes. All tensors share one float dtype (f32 or f64); every loss returns a
// 0-D tensor. Constants (targets, graphs, labels) get no gradient.
#include "engine/engine.h"

namespace he::losses {

// DeepBit quantisation (Lin, Lu, Chen & Zhou 2016, 'Learning Compact Binary Descriptors
// with Unsupervised Deep Neural Networks', CVPR): mean((b - p)^2), b = 1[p >= 1/2] a
// constant. Equals recipes.md's ||(sign(p - 1/2) + 1)/2 - p||^2 per element.
Tensor binary_quantization_loss(const Tensor& p);

// DeepBit's even distribution (Lin et al. 2016): each bit fires for half of the batch,
//   mean_k ( mean_i p_ik - 1/2 )^2.
Tensor even_distribution_loss(const Tensor& p);

// Bit entropy (UTH, Huang, Xiong, Zhang & Wang 2017, 'Unsupervised Triplet Hashing for Fast
// Image Retrieval'): with q_k = mean_i p_ik the batch frequency of bit k,
//   mean_k ( 1 - H(q_k) / log 2 ),  H(q) = -q log q - (1 - q) log(1 - q),
// 0 when every bit is on for exactly half of the batch, 1 for a constant bit. q is clamped
// to [1e-7, 1 - 1e-7] so that the loss and its gradient stay finite.
Tensor bit_entropy_loss(const Tensor& p);

// Triplet hinge on explicit triplets (UTH's triplet term, squared Euclidean distances):
//   mean_i max(0, margin + ||a_i - p_i||^2 - ||a_i - n_i||^2).
// anchor, positive, negative:(B,D) float -> scalar.
Tensor triplet_hinge(const Tensor& anchor, const Tensor& positive, const Tensor& negative,
                     double margin);

// Similarity matching: mean_{i,j} ( cos(h_i, h_j) - t_ij )^2 over all B x B pairs (diagonal
// included), t:(B,B) a target similarity (a constant), h:(B,bits). With codes in {-1,+1} the
// cosine is 1 - 2 d_H / bits, so this matches normalised Hamming distances. A zero row has
// cosine 0 with every row. Used as BGAN's neighbourhood structure loss (Song, He, Gao, Xu &
// Shen 2018, 'Binary Generative Adversarial Networks for Image Retrieval', AAAI) with t = a
// k-NN graph plus the identity, and by cosine_structure_loss below.
Tensor similarity_matching_loss(const Tensor& h, const Tensor& target);

// Cosine-structure preservation (GreedyHash's unsupervised loss, Su, Zhang, Han & Tian 2018,
// 'Greedy Hash: Towards Fast Optimization for Accurate Hash Coding in CNN', NeurIPS):
//   mean_{i,j} ( cos(h_i, h_j) - cos(f_i, f_j) )^2 over all B x B pairs (diagonal included),
// h:(B,bits) the codes (with GreedyHash, sign-STE(u), whose cosine is <b_i,b_j>/bits),
// f:(B,D) features of the same images (a constant). A zero row has cosine 0 with every row.
// scale in (0, 1] multiplies the target: mean (cos(h_i, h_j) - scale * cos(f_i, f_j))^2.
Tensor cosine_structure_loss(const Tensor& h, const Tensor& features, double scale = 1.0);

// Binarised representation entropy (BRE; Cao, Ding, Lui & Huang 2018, 'Improving GAN Training
// via Binarized Representation Entropy (BRE) Regularization', ICLR), BinGAN's regulariser of its
// binary layer (Zieba, Semberecki, El-Gaaly & Trzcinski 2018, 'BinGAN: Learning Compact Binary
// Descriptors with a Regularized GAN', NeurIPS). With s = h / (|h| + eps) (a softsign that is
// near +-1 unless |h| is within a few eps of 0, so the terms see the bits):
//   ME = mean_k ( mean_i s_ik )^2                    (each bit balanced over the batch)
//   AC = mean_{i != j} | <s_i, s_j> | / bits          (codes of different images decorrelated)
//   BRE = ME + AC.
// h:(B,bits) float, B >= 2 -> scalar.
Tensor bre_loss(const Tensor& h, double eps);

// SSDH's supervised ranking loss (Zhang & Peng 2017, 'SSDH: Semi-supervised Deep Hashing for
// Large Scale Image Retrieval', TCSVT) over every in-batch triplet (a, p, n) of labelled
// items with y_a == y_p, p != a, y_n != y_a:
//   mean max(0, margin + ||h_a - h_p||^2 - ||h_a - h_n||^2).
// labels:(B) i64 with -1 for an unlabelled item (never part of a triplet); 0 when the batch
// has no triplet.
Tensor ranking_triplet_loss(const Tensor& h, const Tensor& labels, double margin);

// The same ranking loss with the triplets' positives and negatives taken from a bank of
// stored codes (a constant), so that every labelled anchor of a batch meets every labelled
// image seen so far: anchors h:(B,bits) with labels y:(B) i64 (-1: not an anchor), bank
// H:(N,bits) with labels Y:(N) i64 (-1: not a candidate); over all (a, p, n) with
// y_a >= 0, Y_p == y_a, Y_n >= 0, Y_n != y_a:
//   sum max(0, margin + ||h_a - H_p||^2 - ||h_a - H_n||^2) / (number of triplets).
// The hinge sum is piecewise linear in the distances: with c_ap the number of negatives a
// positive p keeps active and c_an the number of positives keeping n active, it equals
// sum_p c_ap (margin + d_ap) - sum_n c_an d_an, found by sorting in O(B N log N) instead of
// O(B N^2). 0 when there is no triplet.
Tensor ranking_triplet_bank_loss(const Tensor& h, const Tensor& labels, const Tensor& bank,
                                 const Tensor& bank_labels, double margin);

// SSDH's embedding loss over all (labelled and unlabelled) items: neighbours in feature space
// keep close codes, the others are pushed to at least `margin` apart,
//   mean_{i != j} [ w_ij d_ij + (1 - w_ij) max(0, margin - d_ij) ],  d_ij = ||h_i - h_j||^2,
// w:(B,B) a 0/1 constant (knn_graph). 0 for B = 1.
Tensor neighbour_embedding_loss(const Tensor& h, const Tensor& w, double margin);

// The in-batch k-nearest-neighbour graph of SSDH's online graph construction: w_ij = 1 when
// j is among the k rows of highest cosine similarity to row i (j != i, ties to the lower
// index) or i among j's; symmetric, zero diagonal. features:(B,D) float -> (B,B) 0/1 of the
// same dtype, a constant.
Tensor knn_graph(const Tensor& features, int64_t k);

// DVB's objective (Shen, Liu & Shao 2019, 'Unsupervised Binary Representation Learning with
// Deep Variational Networks', IJCV): per image, mean over the batch,
//   1/2 ||x' - x||^2 + kl_weight * KL( N(mu, e^logvar) || N(c, I) )
//                    + quantization_weight * ||mu - sign(mu)||^2,
// the reconstruction's Gaussian negative log-likelihood (up to a constant), the KL to the
// image's prior centred on c (losses::kl_gaussian) and the quantisation of the latent mean
// (sign(0) = +1, sign a constant). reconstruction, x:(B,D); mu, logvar, prior_mu:(B,bits);
// x and prior_mu constants -> scalar.
Tensor dvb_loss(const Tensor& reconstruction, const Tensor& x, const Tensor& mu,
                const Tensor& logvar, const Tensor& prior_mu, double kl_weight = 1,
                double quantization_weight = 1);

}  // namespace he::losses
