#pragma once
// Policy-gradient training of binary codes: each bit is a Bernoulli action a in {0,1} with
// probability p = sigmoid(u) (u the network's logit), the sampled code b = 2a - 1 is rewarded
// for how well it ranks the batch, and REINFORCE (Williams, 'Simple Statistical
// Gradient-Following Algorithms for Connectionist Reinforcement Learning', ML 1992) turns the
// reward into a gradient without relaxing the sign. Used by the zoo's `drlih` (Peng, Zhang &
// Ye, 'Deep Reinforcement Learning for Image Hashing', IEEE TMM 2020, arXiv 1802.02904).
#include "engine/engine.h"

namespace he::losses {

// The reward of sampled codes under the batch's triplets, and each action's share of it.
// actions:(B,bits) 0/1 (a constant), S:(B,B) the in-batch 0/1 similarity, one float dtype.
// For anchor i, P_i = {j != i : s_ij = 1} and N_i = {k : s_ik = 0}; d the Hamming distance:
//   r_i = ( mean_{k in N_i} d(b_i, b_k) - mean_{j in P_i} d(b_i, b_j) ) / bits,
// the mean margin of every triplet (i, j, k) in the batch (a mean over an empty set is 0), in
// [-1, 1]. R = mean_i r_i. With d = sum_m [a_im != a_jm] and w_ij = [k in N_i]/|N_i| -
// [j in P_i]/|P_i|, B bits R = sum_{i,j,m} w_ij [a_im != a_jm]; the terms that hold a_im sum to
//   credit_im = sum_j (w_ij + w_ji) [a_im != a_jm],
// its own triplets and those it takes part in as a positive or a negative. Every other term
// of R is independent of a_im, so credit_im is what its policy gradient needs
// (reinforce_bernoulli).
//   gain_im = credit_im(a_im = 1) - credit_im(a_im = 0) = sum_j (w_ij + w_ji) (1 - 2 a_jm),
// the others' actions as sampled: what choosing 1 over 0 is worth. The mean of the two credits,
// credit_im - (2 a_im - 1) gain_im / 2, depends on the other actions only, so it is a baseline
// for a_im that leaves the expected gradient unchanged.
struct TripletReward {
  Tensor reward;  // (B): r_i
  Tensor credit;  // (B,bits)
  Tensor gain;    // (B,bits)
};
TripletReward triplet_margin_reward(const Tensor& actions, const Tensor& S);

// The REINFORCE surrogate of independent Bernoulli actions, u:(B,bits) logits, actions and
// advantage (B,bits) constants (advantage = credit - baseline, the baseline independent of the
// action it is subtracted from):
//   L = -1/(B bits) sum_{i,m} A_im log pi(a_im | u_im),  log pi(a | u) = a u - softplus(u).
// dL/du = -(A (a - sigmoid(u))) / (B bits); in expectation over the actions it equals
// -dE[R]/du when A = credit of triplet_margin_reward (the baseline adds nothing in expectation).
Tensor reinforce_bernoulli(const Tensor& u, const Tensor& actions, const Tensor& advantage);

}  // namespace he::losses
