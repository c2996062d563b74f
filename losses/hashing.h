#pragma once
// Deep hashing losses (recipes.md). Notation: u:(B,bits) the network's real-valued output,
// b = sign(u) with sign(0) = +1 (a constant: no gradient flows through b), S the 0/1
// similarity from losses/similarity.h, theta_ij = <u_i, u_j> / 2.
//
// Pairwise losses come in two forms:
//   in-batch      f(u, S, ...)          S:(B,B) over all pairs, diagonal included
//                                        (protocol.md), gradient through both sides;
//   memory bank   f_bank(u, U, S, ...)  U:(N,bits) the stored outputs of the training set
//                                        (a constant: detached), S:(B,N) = similarity(
//                                        batch labels, all labels).
// All tensors share one float dtype (f32 or f64); every loss returns a 0-D tensor.
#include "engine/engine.h"

namespace he::losses {

// DPSH (Li, Wang & Kang 2016, "Feature Learning based Deep Supervised Hashing with Pairwise
// Labels"): L = mean( log(1 + e^theta) - s*theta ) + eta * mean((u - b)^2), the likelihood
// computed stably (softplus(theta) - s*theta == log(1+e^-|theta|) + max(theta,0) - s*theta).
Tensor dpsh(const Tensor& u, const Tensor& S, double eta = 0.1);
Tensor dpsh_bank(const Tensor& u, const Tensor& U, const Tensor& S, double eta = 0.1);

// DHN (Zhu, Long, Wang & Cao 2016, "Deep Hashing Network for Efficient Similarity
// Retrieval"): the DPSH likelihood + alpha * mean(log cosh(|u| - 1)).
Tensor dhn(const Tensor& u, const Tensor& S, double alpha = 0.1);
Tensor dhn_bank(const Tensor& u, const Tensor& U, const Tensor& S, double alpha = 0.1);

// DSH (Liu, Wang, Shan & Chen 2016, "Deep Supervised Hashing for Fast Image Retrieval"):
//   d = ||u_i - u_j||^2,  L = mean( 1/2 s d + 1/2 (1 - s) max(m - d, 0) )
//                            + alpha * mean(| |u| - 1 |),
// m = margin, where margin <= 0 means 2 * bits (the recipe's default).
Tensor dsh(const Tensor& u, const Tensor& S, double alpha = 0.01, double margin = 0);
Tensor dsh_bank(const Tensor& u, const Tensor& U, const Tensor& S, double alpha = 0.01,
                double margin = 0);

// HashNet (Cao, Long, Wang & Yu 2017, "HashNet: Deep Learning to Hash by Continuation"),
// on h = tanh(beta * u) already squashed by the continuation layer:
//   a = alpha * <h_i, h_j>;  l = log(1 + e^a) - s*a, or a*(1 - s) where a >= 15;
//   L = ( S/S1 * sum_{s=1} l + S/S0 * sum_{s=0} l ) / S
// with S pairs in all, S1 similar, S0 dissimilar (an empty group contributes 0).
// alpha defaults to protocol.md's 0.1 (the paper's code uses 10/bits).
Tensor hashnet(const Tensor& h, const Tensor& S, double alpha = 0.1);
Tensor hashnet_bank(const Tensor& h, const Tensor& H, const Tensor& S, double alpha = 0.1);

// DCH (Cao, Long, Liu & Wang 2018, "Deep Cauchy Hashing for Hamming Space Retrieval"):
//   d_ij = bits/2 * (1 - min(cos(u_i, u_j), 0.99)),
//   L = mean( w * [ s log(d/gamma) + log(1 + gamma/d) ] )
//       + lambda * mean_i log(1 + d(|u_i|, 1)/gamma),
// w = S/S1 on similar and S/S0 on dissimilar pairs (1 everywhere if either group is empty).
Tensor dch(const Tensor& u, const Tensor& S, double gamma = 20, double lambda = 0.1);
Tensor dch_bank(const Tensor& u, const Tensor& U, const Tensor& S, double gamma = 20,
                double lambda = 0.1);

// DTSH (Wang, Shi & Kitani 2016, "Deep Supervised Hashing with Triplet Labels"), over every
// in-batch triplet (a, p, n) with s_ap = 1, p != a, s_an = 0:
//   t = theta_ap - theta_an - alpha,  L = mean( -(t - log(1 + e^t)) ) + lambda * mean((u-b)^2).
// The triplet term is 0 when the batch has no triplet. alpha = 5 is the setting for bits >= 32.
Tensor dtsh(const Tensor& u, const Tensor& S, double alpha = 5, double lambda = 1);

// ADSH (Jiang & Li 2018, "Asymmetric Deep Supervised Hashing"), on h = tanh(u) of a batch of
// queries against database codes V:(M,bits) (+-1, constants):
//   L = ( ||h V^T - bits * S'||^2 + gamma * ||V_own - h||^2 ) / (B M),
// S' = (1 + r) S - r softens the 0/1 similarity S:(B,M), r = similar / dissimilar pairs of
// S (0 without dissimilar pairs), as the authors' code does: each row of S' then sums to
// about 0. V_own:(B,bits) is each query's own database code.
Tensor adsh(const Tensor& h, const Tensor& V, const Tensor& S, const Tensor& V_own,
            double gamma = 200);

// GreedyHash (Su, Zhang, Zhou & Tian 2018, "Greedy Hash"): the cubic penalty
//   alpha * mean(| |u| - 1 |^3).
// (The classification half, cross-entropy of fc(sign-STE(u)), is generic::cross_entropy.)
Tensor greedy_hash_penalty(const Tensor& u, double alpha = 0.1);

// CSQ (Yuan et al. 2020, "Central Similarity Quantization"), on the raw output u:
//   h = tanh(u);  L = BCE((h + 1)/2, (c + 1)/2) + lambda * mean((|h| - 1)^2),
// c:(B,bits) the +-1 centre of each sample (centers_for_labels). The BCE is computed on
// logits 2u (since (tanh(u) + 1)/2 = sigmoid(2u)), which is exact and stable. The
// quantisation term is on h, as in the paper's code (its "u" is already tanh'ed).
Tensor csq(const Tensor& u, const Tensor& centers, double lambda = 1e-4);

// Quantisation loss mean((u - b)^2), b = sign(u), sign(0) = +1, b constant.
Tensor quantization_loss(const Tensor& u);

// Bit balance: mean over bits of (mean over the batch of u[:, k])^2.
Tensor bit_balance_loss(const Tensor& u);

// Bit decorrelation: C = (u - mean)^T (u - mean) / B (population covariance, bits x bits);
// mean of C_kl^2 over the bits*(bits-1) off-diagonal entries (0 when bits = 1).
Tensor bit_decorrelation_loss(const Tensor& u);

}  // namespace he::losses
