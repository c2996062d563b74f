// Policy-gradient losses (see reinforce.h for the formulas and papers).
#include "losses/reinforce.h"

#include <fmt/format.h>

#include <vector>

#include "losses/check.h"

namespace he::losses {

using detail::require;

namespace {
// w_ij = [s_ij = 0] / |N_i| - [s_ij = 1, j != i] / |P_i|, a row with an empty group giving 0
// there. S:(B,B) -> (B,B).
Tensor triplet_weights(const Tensor& S) {
  const int64_t b = S.size(0);
  std::vector<double> diag(static_cast<size_t>(b * b), 0.0);
  for (int64_t i = 0; i < b; ++i) diag[i * b + i] = 1.0;
  Tensor eye = Tensor::from_vector(diag, {b, b}).to(S.dtype());
  Tensor pos = mul(S, rsub(1.0, eye));
  Tensor neg = rsub(1.0, S);
  // 1 / max(count, 1): an empty group's row is all zeros anyway.
  Tensor inv_pos = rdiv(1.0, maximum(sum(pos, {1}, true), Tensor::scalar(1.0, S.dtype())));
  Tensor inv_neg = rdiv(1.0, maximum(sum(neg, {1}, true), Tensor::scalar(1.0, S.dtype())));
  return sub(mul(neg, inv_neg), mul(pos, inv_pos));
}

// sum_j V_ij [a_im != a_jm] for every (i, m): a (V 1) + V a - 2 a (V a), a 0/1.
Tensor weighted_disagreement(const Tensor& V, const Tensor& a) {
  Tensor va = matmul(V, a);
  return sub(add(mul(a, sum(V, {1}, true)), va), mul(mul(a, va), 2.0));
}
}  // namespace

TripletReward triplet_margin_reward(const Tensor& actions, const Tensor& S) {
  const char* loss = "triplet_margin_reward";
  detail::require_floating(actions, loss, "actions");
  require(actions.dim() == 2 && actions.size(0) >= 1 && actions.size(1) >= 1, loss,
          fmt::format("actions must be (B,bits), got {}", actions.shape_str()));
  const int64_t b = actions.size(0), bits = actions.size(1);
  require(S.dim() == 2 && S.size(0) == b && S.size(1) == b && S.dtype() == actions.dtype(), loss,
          fmt::format("S {} {} must be ({},{}) {} for actions {}", dtype_name(S.dtype()),
                      S.shape_str(), b, b, dtype_name(actions.dtype()), actions.shape_str()));
  NoGradGuard no_grad;
  Tensor a = actions.detach().contiguous(), W = triplet_weights(S.detach().contiguous());
  TripletReward r;
  r.reward = div(sum(weighted_disagreement(W, a), {1}), static_cast<double>(bits));
  Tensor V = add(W, W.t());
  r.credit = weighted_disagreement(V, a);
  r.gain = matmul(V, rsub(1.0, mul(a, 2.0)));
  return r;
}

Tensor reinforce_bernoulli(const Tensor& u, const Tensor& actions, const Tensor& advantage) {
  const char* loss = "reinforce_bernoulli";
  detail::require_floating(u, loss, "u");
  require(u.dim() == 2, loss, fmt::format("u must be (B,bits), got {}", u.shape_str()));
  detail::require_same_shape(u, actions, loss, "u", "actions");
  detail::require_same_shape(u, advantage, loss, "u", "advantage");
  Tensor a = actions.detach().to(u.dtype()), adv = advantage.detach().to(u.dtype());
  Tensor log_pi = sub(mul(a, u), softplus(u));
  return div(neg(sum(mul(adv, log_pi))), static_cast<double>(u.numel()));
}

}  // namespace he::losses
