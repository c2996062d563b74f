// Generic losses (see generic.h for the formulas and papers).
#include "losses/generic.h"

#include <fmt/format.h>

#include <vector>

#include "losses/check.h"

namespace he::losses {

using detail::require;
using detail::require_dim;
using detail::require_floating;
using detail::require_same_shape;

namespace {

void require_labels(const Tensor& labels, int64_t batch, const char* loss) {
  require(labels.dtype() == DType::i64 && labels.dim() == 1 && labels.size(0) == batch, loss,
          fmt::format("labels must be i64 of shape ({}), got {} {}", batch,
                      dtype_name(labels.dtype()), labels.shape_str()));
}

void require_pair(const Tensor& a, const Tensor& b, const char* loss, const char* na,
                  const char* nb) {
  require_floating(a, loss, na);
  require_same_shape(a, b, loss, na, nb);
  require(a.dtype() == b.dtype(), loss,
          fmt::format("{} and {} must have one dtype, got {} and {}", na, nb, dtype_name(a.dtype()),
                      dtype_name(b.dtype())));
}

// Euclidean distance matrix of the rows of emb, (B,B).
Tensor distance_matrix(const Tensor& emb) {
  return detail::safe_sqrt(detail::pairwise_sq_dist(emb, emb));
}

}  // namespace

Tensor cross_entropy(const Tensor& logits, const Tensor& labels, double label_smoothing) {
  const char* name = "cross_entropy";
  require_floating(logits, name, "logits");
  require_dim(logits, 2, name, "logits");
  require_labels(labels, logits.size(0), name);
  const int64_t classes = logits.size(1);
  for (int64_t c : labels.to_vector<int64_t>())
    require(
        c >= 0 && c < classes, name,
        fmt::format("label {} out of range [0, {}) for logits {}", c, classes, logits.shape_str()));
  require(label_smoothing >= 0 && label_smoothing <= 1, name,
          fmt::format("label_smoothing must be in [0,1], got {}", label_smoothing));
  Tensor logp = log_softmax(logits, 1);
  Tensor nll = neg(gather(logp, 1, labels.unsqueeze(1)).squeeze(1));  // (B)
  if (label_smoothing == 0) return mean(nll);
  Tensor uniform = neg(mean(logp, {1}));  // (B)
  return mean(add(mul(nll, 1.0 - label_smoothing), mul(uniform, label_smoothing)));
}

Tensor bce_with_logits(const Tensor& logits, const Tensor& targets) {
  require_pair(logits, targets, "bce_with_logits", "logits", "targets");
  // max(x,0) - x*y + log(1+e^-|x|) == softplus(x) - x*y; the engine's softplus is the stable
  // log1p(exp) and its gradient is sigmoid(x) everywhere (also at x = 0, unlike relu + abs).
  return mean(sub(softplus(logits), mul(logits, targets)));
}

Tensor mse(const Tensor& pred, const Tensor& target) {
  require_pair(pred, target, "mse", "pred", "target");
  Tensor d = sub(pred, target);
  return mean(mul(d, d));
}

Tensor l1(const Tensor& pred, const Tensor& target) {
  require_pair(pred, target, "l1", "pred", "target");
  return mean(abs(sub(pred, target)));
}

Tensor smooth_l1(const Tensor& pred, const Tensor& target, double beta) {
  require_pair(pred, target, "smooth_l1", "pred", "target");
  require(beta >= 0, "smooth_l1", fmt::format("beta must be >= 0, got {}", beta));
  Tensor d = abs(sub(pred, target));
  if (beta == 0) return mean(d);
  Tensor quad = div(mul(mul(d, d), 0.5), beta);
  return mean(where(lt(d, beta), quad, sub(d, 0.5 * beta)));
}

Tensor kl_standard_normal(const Tensor& mu, const Tensor& logvar) {
  const char* name = "kl_standard_normal";
  require_pair(mu, logvar, name, "mu", "logvar");
  require_dim(mu, 2, name, "mu");
  Tensor per = sub(sub(add(logvar, 1.0), mul(mu, mu)), exp(logvar));  // (B,D)
  return mul(mean(sum(per, {1})), -0.5);
}

Tensor kl_gaussian(const Tensor& mu, const Tensor& logvar, const Tensor& prior_mu,
                   const Tensor& prior_logvar) {
  const char* name = "kl_gaussian";
  require_pair(mu, logvar, name, "mu", "logvar");
  require_dim(mu, 2, name, "mu");
  require(prior_mu.dtype() == mu.dtype() && prior_logvar.dtype() == mu.dtype(), name,
          "prior_mu and prior_logvar must have mu's dtype");
  Tensor d = sub(mu, prior_mu);  // broadcast errors name the shapes
  Tensor ratio = div(add(exp(logvar), mul(d, d)), exp(prior_logvar));
  Tensor per = sub(add(sub(prior_logvar, logvar), ratio), 1.0);
  require(per.shape() == mu.shape(), name,
          fmt::format("prior shapes {} / {} must broadcast to mu {}", prior_mu.shape_str(),
                      prior_logvar.shape_str(), mu.shape_str()));
  return mul(mean(sum(per, {1})), 0.5);
}

Tensor contrastive(const Tensor& x1, const Tensor& x2, const Tensor& s, double margin) {
  const char* name = "contrastive";
  require_pair(x1, x2, name, "x1", "x2");
  require_dim(x1, 2, name, "x1");
  require(s.dtype() == x1.dtype() && s.dim() == 1 && s.size(0) == x1.size(0), name,
          fmt::format("s must be {} of shape ({}), got {} {}", dtype_name(x1.dtype()), x1.size(0),
                      dtype_name(s.dtype()), s.shape_str()));
  Tensor diff = sub(x1, x2);
  Tensor d2 = sum(mul(diff, diff), {1});  // (P)
  Tensor hinge = relu(rsub(margin, detail::safe_sqrt(d2)));
  return mean(add(mul(s, d2), mul(rsub(1.0, s), mul(hinge, hinge))));
}

Tensor contrastive_in_batch(const Tensor& emb, const Tensor& labels, double margin) {
  const char* name = "contrastive_in_batch";
  require_floating(emb, name, "emb");
  require_dim(emb, 2, name, "emb");
  require_labels(labels, emb.size(0), name);
  const int64_t b = emb.size(0);
  require(b >= 2, name, fmt::format("needs at least 2 rows, got {}", emb.shape_str()));
  Tensor s = eq(labels.unsqueeze(1), labels.unsqueeze(0)).to(emb.dtype());  // (B,B)
  Tensor off = sub(Tensor::ones({b, b}, emb.dtype()), detail::eye(b, emb.dtype()));
  Tensor d2 = detail::pairwise_sq_dist(emb, emb);
  Tensor hinge = relu(rsub(margin, detail::safe_sqrt(d2)));
  Tensor per = add(mul(s, d2), mul(rsub(1.0, s), mul(hinge, hinge)));
  return div(sum(mul(per, off)), static_cast<double>(b * (b - 1)));
}

Tensor triplet_margin(const Tensor& emb, const Tensor& labels, double margin,
                      TripletMining mining) {
  const char* name = "triplet_margin";
  require_floating(emb, name, "emb");
  require_dim(emb, 2, name, "emb");
  require_labels(labels, emb.size(0), name);
  const int64_t b = emb.size(0);
  Tensor dist = distance_matrix(emb);  // (B,B), differentiable
  // Mining looks at the values only: choose (anchor*B + positive, anchor*B + negative) pairs.
  std::vector<double> d = dist.detach().to(DType::f64).to_vector<double>();
  std::vector<int64_t> y = labels.to_vector<int64_t>();
  std::vector<int64_t> ap, an;
  for (int64_t a = 0; a < b; ++a) {
    if (mining == TripletMining::BatchHard) {
      int64_t p = -1, n = -1;
      for (int64_t j = 0; j < b; ++j) {
        if (j == a) continue;
        if (y[j] == y[a]) {
          if (p < 0 || d[a * b + j] > d[a * b + p]) p = j;
        } else if (n < 0 || d[a * b + j] < d[a * b + n]) {
          n = j;
        }
      }
      if (p >= 0 && n >= 0) ap.push_back(a * b + p), an.push_back(a * b + n);
      continue;
    }
    for (int64_t p = 0; p < b; ++p) {
      if (p == a || y[p] != y[a]) continue;
      const double dap = d[a * b + p];
      int64_t semi = -1, far = -1;
      for (int64_t n = 0; n < b; ++n) {
        if (y[n] == y[a]) continue;
        const double dan = d[a * b + n];
        if (dan > dap && (semi < 0 || dan < d[a * b + semi])) semi = n;
        if (far < 0 || dan > d[a * b + far]) far = n;
      }
      if (far < 0) continue;  // no negative at all
      ap.push_back(a * b + p), an.push_back(a * b + (semi >= 0 ? semi : far));
    }
  }
  if (ap.empty()) return mul(sum(dist), 0.0);  // keeps the graph and the dtype
  Tensor flat = dist.reshape({b * b});
  Tensor dap = index_select(flat, 0, Tensor::from_vector(ap));
  Tensor dan = index_select(flat, 0, Tensor::from_vector(an));
  return mean(relu(add(sub(dap, dan), margin)));
}

}  // namespace he::losses
