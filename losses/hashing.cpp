// Deep hashing losses (see hashing.h for the formulas and papers).
#include "losses/hashing.h"

#include <fmt/format.h>

#include <cmath>

#include "losses/check.h"

namespace he::losses {

using detail::require;
using detail::sign_pm1;

namespace {

void check_codes(const Tensor& u, const char* loss, const char* name = "u") {
  detail::require_floating(u, loss, name);
  require(u.dim() == 2 && u.size(0) >= 1 && u.size(1) >= 1, loss,
          fmt::format("{} must be (B,bits), got {}", name, u.shape_str()));
}

// u:(B,bits), U:(N,bits), S:(B,N), one float dtype.
void check_bank(const Tensor& u, const Tensor& U, const Tensor& S, const char* loss) {
  check_codes(u, loss);
  check_codes(U, loss, "U");
  require(U.size(1) == u.size(1) && U.dtype() == u.dtype(), loss,
          fmt::format("U {} {} must be (N,{}) {}", dtype_name(U.dtype()), U.shape_str(), u.size(1),
                      dtype_name(u.dtype())));
  require(
      S.dim() == 2 && S.size(0) == u.size(0) && S.size(1) == U.size(0) && S.dtype() == u.dtype(),
      loss,
      fmt::format("S {} {} must be ({},{}) {} for u {} and U {}", dtype_name(S.dtype()),
                  S.shape_str(), u.size(0), U.size(0), dtype_name(u.dtype()), u.shape_str(),
                  U.shape_str()));
}

// mean over pairs of log(1 + e^theta) - s*theta, theta = <u_i, v_j> / 2.
Tensor pairwise_likelihood(const Tensor& u, const Tensor& v, const Tensor& S) {
  Tensor theta = mul(matmul(u, v.t()), 0.5);
  return mean(sub(softplus(theta), mul(S.detach(), theta)));
}

// log cosh(x) = |x| + log(1 + e^{-2|x|}) - log 2, finite for any x; gradient tanh(x).
Tensor log_cosh(const Tensor& x) {
  Tensor ax = abs(x);
  return sub(add(ax, softplus(mul(ax, -2.0))), std::log(2.0));
}

// Weights S/S1 on similar pairs (s > 0) and S/S0 on dissimilar ones. When one group is
// empty: DCH uses 1 everywhere (ones_if_group_empty), HashNet keeps S/S_k for the non-empty
// group (the empty one has no pairs to weight).
Tensor balance_weights(const Tensor& S, bool ones_if_group_empty) {
  Tensor pos = gt(S.detach(), 0.0).to(S.dtype());
  const double total = static_cast<double>(S.numel());
  const double s1 = sum(pos).item_double();
  const double s0 = total - s1;
  if (ones_if_group_empty && (s1 == 0 || s0 == 0)) return Tensor::ones(S.shape(), S.dtype());
  const double w1 = s1 > 0 ? total / s1 : 0.0;
  const double w0 = s0 > 0 ? total / s0 : 0.0;
  return add(mul(pos, w1 - w0), w0);
}

Tensor hashnet_impl(const Tensor& h, const Tensor& H, const Tensor& S, double alpha) {
  Tensor s = S.detach();
  Tensor a = mul(matmul(h, H.t()), alpha);
  Tensor smooth = sub(softplus(a), mul(s, a));
  Tensor linear = mul(a, rsub(1.0, s));
  Tensor l = where(lt(a.detach(), 15.0), smooth, linear);
  return div(sum(mul(balance_weights(s, false), l)), static_cast<double>(S.numel()));
}

Tensor dsh_impl(const Tensor& u, const Tensor& v, const Tensor& S, double alpha, double margin) {
  const double m = margin > 0 ? margin : 2.0 * static_cast<double>(u.size(1));
  Tensor s = S.detach();
  Tensor d = detail::pairwise_sq_dist(u, v);
  Tensor pair = mul(add(mul(s, d), mul(rsub(1.0, s), relu(rsub(m, d)))), 0.5);
  Tensor reg = mean(abs(sub(abs(u), 1.0)));
  return add(mean(pair), mul(reg, alpha));
}

// (B,N) cosine similarity of the rows of a and b, norms floored at 1e-4 (as the paper's code).
Tensor cosine_matrix(const Tensor& a, const Tensor& b) {
  Tensor na = detail::safe_sqrt(sum(mul(a, a), {1}, true), 1e-8);      // (B,1)
  Tensor nb = detail::safe_sqrt(sum(mul(b, b), {1}, true), 1e-8).t();  // (1,N)
  return div(matmul(a, b.t()), mul(na, nb));
}

Tensor dch_impl(const Tensor& u, const Tensor& v, const Tensor& S, double gamma, double lambda) {
  const double half_bits = 0.5 * static_cast<double>(u.size(1));
  auto cauchy_distance = [&](const Tensor& cos) {
    return mul(rsub(1.0, clamp(cos, -INFINITY, 0.99)), half_bits);
  };
  Tensor s = S.detach();
  Tensor d = cauchy_distance(cosine_matrix(u, v));
  Tensor cauchy = add(mul(s, log(div(d, gamma))), log(add(rdiv(gamma, d), 1.0)));
  Tensor pair = mean(mul(balance_weights(s, true), cauchy));
  // d(|u_i|, 1): cosine of |u_i| with the all-ones vector = sum|u_i| / (||u_i|| sqrt(bits)).
  Tensor au = abs(u);
  Tensor norm_u = detail::safe_sqrt(sum(mul(u, u), {1}), 1e-8);
  Tensor cos1 = div(sum(au, {1}), mul(norm_u, std::sqrt(static_cast<double>(u.size(1)))));
  Tensor quant = mean(log(add(div(cauchy_distance(cos1), gamma), 1.0)));
  return add(pair, mul(quant, lambda));
}

}  // namespace

Tensor dpsh(const Tensor& u, const Tensor& S, double eta) {
  check_bank(u, u, S, "dpsh");
  return add(pairwise_likelihood(u, u, S), mul(quantization_loss(u), eta));
}

Tensor dpsh_bank(const Tensor& u, const Tensor& U, const Tensor& S, double eta) {
  check_bank(u, U, S, "dpsh_bank");
  return add(pairwise_likelihood(u, U.detach(), S), mul(quantization_loss(u), eta));
}

Tensor dhn(const Tensor& u, const Tensor& S, double alpha) {
  check_bank(u, u, S, "dhn");
  return add(pairwise_likelihood(u, u, S), mul(mean(log_cosh(sub(abs(u), 1.0))), alpha));
}

Tensor dhn_bank(const Tensor& u, const Tensor& U, const Tensor& S, double alpha) {
  check_bank(u, U, S, "dhn_bank");
  return add(pairwise_likelihood(u, U.detach(), S), mul(mean(log_cosh(sub(abs(u), 1.0))), alpha));
}

Tensor dsh(const Tensor& u, const Tensor& S, double alpha, double margin) {
  check_bank(u, u, S, "dsh");
  return dsh_impl(u, u, S, alpha, margin);
}

Tensor dsh_bank(const Tensor& u, const Tensor& U, const Tensor& S, double alpha, double margin) {
  check_bank(u, U, S, "dsh_bank");
  return dsh_impl(u, U.detach(), S, alpha, margin);
}

Tensor hashnet(const Tensor& h, const Tensor& S, double alpha) {
  check_bank(h, h, S, "hashnet");
  return hashnet_impl(h, h, S, alpha);
}

Tensor hashnet_bank(const Tensor& h, const Tensor& H, const Tensor& S, double alpha) {
  check_bank(h, H, S, "hashnet_bank");
  return hashnet_impl(h, H.detach(), S, alpha);
}

Tensor dch(const Tensor& u, const Tensor& S, double gamma, double lambda) {
  check_bank(u, u, S, "dch");
  return dch_impl(u, u, S, gamma, lambda);
}

Tensor dch_bank(const Tensor& u, const Tensor& U, const Tensor& S, double gamma, double lambda) {
  check_bank(u, U, S, "dch_bank");
  return dch_impl(u, U.detach(), S, gamma, lambda);
}

Tensor dtsh(const Tensor& u, const Tensor& S, double alpha, double lambda) {
  check_bank(u, u, S, "dtsh");
  const int64_t b = u.size(0);
  Tensor s = S.detach();
  Tensor off = sub(Tensor::ones({b, b}, u.dtype()), detail::eye(b, u.dtype()));
  Tensor pos = mul(gt(s, 0.0).to(u.dtype()), off);          // (a,p): similar, p != a
  Tensor negm = rsub(1.0, gt(s, 0.0).to(u.dtype()));        // (a,n): dissimilar
  Tensor valid = mul(pos.unsqueeze(2), negm.unsqueeze(1));  // (a,p,n)
  Tensor quant = mul(quantization_loss(u), lambda);
  const double count = sum(valid).item_double();
  if (count == 0) return add(mul(sum(u), 0.0), quant);
  Tensor theta = mul(matmul(u, u.t()), 0.5);
  Tensor t = sub(sub(theta.unsqueeze(2), theta.unsqueeze(1)), alpha);  // theta_ap - theta_an
  Tensor triplet = div(sum(mul(valid, softplus(neg(t)))), count);      // -(t - log(1+e^t))
  return add(triplet, quant);
}

Tensor greedy_hash_penalty(const Tensor& u, double alpha) {
  check_codes(u, "greedy_hash_penalty");
  return mul(mean(pow(abs(sub(abs(u), 1.0)), 3.0)), alpha);
}

Tensor adsh(const Tensor& h, const Tensor& V, const Tensor& S, const Tensor& V_own, double gamma) {
  const char* name = "adsh";
  check_bank(h, V, S, name);
  require(V_own.shape() == h.shape() && V_own.dtype() == h.dtype(), name,
          fmt::format("V_own {} {} must match h {} {}", dtype_name(V_own.dtype()),
                      V_own.shape_str(), dtype_name(h.dtype()), h.shape_str()));
  const double similar = sum(S).item_double();
  const double dissimilar = static_cast<double>(S.numel()) - similar;
  const double r = dissimilar > 0 ? similar / dissimilar : 0.0;
  Tensor target = mul(sub(mul(S.detach(), 1 + r), r), static_cast<double>(h.size(1)));
  Tensor fit = sum(pow(sub(matmul(h, V.detach().t()), target), 2.0));
  Tensor pull = sum(pow(sub(V_own.detach(), h), 2.0));
  return div(add(fit, mul(pull, gamma)), static_cast<double>(S.numel()));
}

Tensor csq(const Tensor& u, const Tensor& centers, double lambda) {
  const char* name = "csq";
  check_codes(u, name);
  require(centers.shape() == u.shape() && centers.dtype() == u.dtype(), name,
          fmt::format("centers {} {} must match u {} {}", dtype_name(centers.dtype()),
                      centers.shape_str(), dtype_name(u.dtype()), u.shape_str()));
  Tensor target = mul(add(centers.detach(), 1.0), 0.5);  // (c + 1) / 2
  Tensor logits = mul(u, 2.0);                           // sigmoid(2u) = (tanh(u) + 1) / 2
  Tensor bce = mean(sub(softplus(logits), mul(logits, target)));
  Tensor q = sub(abs(tanh(u)), 1.0);
  return add(bce, mul(mean(mul(q, q)), lambda));
}

Tensor quantization_loss(const Tensor& u) {
  check_codes(u, "quantization_loss");
  Tensor d = sub(u, sign_pm1(u));
  return mean(mul(d, d));
}

Tensor bit_balance_loss(const Tensor& u) {
  check_codes(u, "bit_balance_loss");
  Tensor m = mean(u, {0});  // (bits)
  return mean(mul(m, m));
}

Tensor bit_decorrelation_loss(const Tensor& u) {
  check_codes(u, "bit_decorrelation_loss");
  const int64_t bits = u.size(1);
  if (bits == 1) return mul(sum(u), 0.0);
  Tensor c = sub(u, mean(u, {0}, true));
  Tensor cov = div(matmul(c.t(), c), static_cast<double>(u.size(0)));  // (bits,bits)
  Tensor off = sub(Tensor::ones({bits, bits}, u.dtype()), detail::eye(bits, u.dtype()));
  return div(sum(mul(mul(cov, cov), off)), static_cast<double>(bits * (bits - 1)));
}

}  // namespace he::losses
