// Unsupervised and semi-supervised hashing losses (see unsupervised.h for the formulas and
// papers).
#include "losses/unsupervised.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "losses/check.h"
#include "losses/generic.h"

namespace he::losses {

using detail::require;

namespace {

void check_codes(const Tensor& h, const char* loss, const char* name = "h") {
  detail::require_floating(h, loss, name);
  require(h.dim() == 2 && h.size(0) >= 1 && h.size(1) >= 1, loss,
          fmt::format("{} must be (B,bits), got {}", name, h.shape_str()));
}

// Rows scaled to unit length; a zero row stays zero.
Tensor unit_rows(const Tensor& x) {
  return div(x, detail::safe_sqrt(sum(mul(x, x), {1}, true), 1e-24));
}

Tensor cosine_matrix(const Tensor& x) {
  Tensor n = unit_rows(x);
  return matmul(n, n.t());
}

Tensor off_diagonal(int64_t n, DType dt) { return rsub(1.0, detail::eye(n, dt)); }

}  // namespace

Tensor binary_quantization_loss(const Tensor& p) {
  check_codes(p, "binary_quantization_loss", "p");
  Tensor b = ge(p.detach(), Tensor::scalar(0.5, p.dtype())).to(p.dtype());
  Tensor d = sub(b, p);
  return mean(mul(d, d));
}

Tensor even_distribution_loss(const Tensor& p) {
  check_codes(p, "even_distribution_loss", "p");
  Tensor m = sub(mean(p, {0}), 0.5);  // (bits)
  return mean(mul(m, m));
}

Tensor bit_entropy_loss(const Tensor& p) {
  check_codes(p, "bit_entropy_loss", "p");
  const double eps = 1e-7;
  Tensor q = clamp(mean(p, {0}), eps, 1 - eps);  // (bits)
  Tensor r = rsub(1.0, q);
  Tensor h = neg(add(mul(q, log(q)), mul(r, log(r))));
  return rsub(1.0, div(mean(h), std::log(2.0)));
}

Tensor triplet_hinge(const Tensor& anchor, const Tensor& positive, const Tensor& negative,
                     double margin) {
  const char* name = "triplet_hinge";
  check_codes(anchor, name, "anchor");
  detail::require_same_shape(anchor, positive, name, "anchor", "positive");
  detail::require_same_shape(anchor, negative, name, "anchor", "negative");
  require(positive.dtype() == anchor.dtype() && negative.dtype() == anchor.dtype(), name,
          "anchor, positive and negative must share one dtype");
  Tensor dp = sub(anchor, positive), dn = sub(anchor, negative);
  Tensor t = add(sub(sum(mul(dp, dp), {1}), sum(mul(dn, dn), {1})), margin);
  return mean(relu(t));
}

Tensor similarity_matching_loss(const Tensor& h, const Tensor& target) {
  const char* name = "similarity_matching_loss";
  check_codes(h, name);
  const int64_t b = h.size(0);
  require(target.shape() == Shape{b, b} && target.dtype() == h.dtype(), name,
          fmt::format("target {} {} must be ({},{}) {}", dtype_name(target.dtype()),
                      target.shape_str(), b, b, dtype_name(h.dtype())));
  Tensor d = sub(cosine_matrix(h), target.detach());
  return mean(mul(d, d));
}

Tensor cosine_structure_loss(const Tensor& h, const Tensor& features, double scale) {
  const char* name = "cosine_structure_loss";
  check_codes(h, name);
  detail::require_floating(features, name, "features");
  require(features.dim() == 2 && features.size(0) == h.size(0) && features.dtype() == h.dtype(),
          name,
          fmt::format("features {} {} must be ({},D) {}", dtype_name(features.dtype()),
                      features.shape_str(), h.size(0), dtype_name(h.dtype())));
  require(scale > 0 && scale <= 1, name, fmt::format("scale must be in (0, 1], got {}", scale));
  return similarity_matching_loss(h, mul(cosine_matrix(features.detach()), scale));
}

Tensor bre_loss(const Tensor& h, double eps) {
  const char* name = "bre_loss";
  check_codes(h, name);
  const int64_t b = h.size(0), bits = h.size(1);
  require(b >= 2 && eps > 0, name,
          fmt::format("needs B >= 2 and eps > 0, got B = {}, eps = {}", b, eps));
  Tensor s = div(h, add(abs(h), eps));
  Tensor m = mean(s, {0});  // (bits)
  Tensor me = mean(mul(m, m));
  Tensor ac = sum(mul(off_diagonal(b, h.dtype()), abs(matmul(s, s.t()))));
  return add(me, div(ac, static_cast<double>(b * (b - 1) * bits)));
}

Tensor ranking_triplet_loss(const Tensor& h, const Tensor& labels, double margin) {
  const char* name = "ranking_triplet_loss";
  check_codes(h, name);
  require(labels.dtype() == DType::i64 && labels.dim() == 1 && labels.size(0) == h.size(0), name,
          fmt::format("labels must be ({}) i64, got {} {}", h.size(0), dtype_name(labels.dtype()),
                      labels.shape_str()));
  std::vector<int64_t> y = labels.to_vector<int64_t>(), keep, yl;
  for (int64_t i = 0; i < static_cast<int64_t>(y.size()); ++i)
    if (y[i] >= 0) keep.push_back(i), yl.push_back(y[i]);
  const int64_t n = static_cast<int64_t>(keep.size());
  // valid[a][p][n] = 1 for a triplet (a, p, n) of the labelled items.
  std::vector<double> valid(n * n * n, 0.0);
  double count = 0;
  for (int64_t a = 0; a < n; ++a)
    for (int64_t p = 0; p < n; ++p) {
      if (p == a || yl[p] != yl[a]) continue;
      for (int64_t q = 0; q < n; ++q)
        if (yl[q] != yl[a]) valid[(a * n + p) * n + q] = 1, ++count;
    }
  if (count == 0) return mul(sum(h), 0.0);  // keeps the graph and the dtype
  Tensor hl = index_select(h, 0, Tensor::from_vector(keep));
  Tensor d = detail::pairwise_sq_dist(hl, hl);                     // (n,n)
  Tensor t = add(sub(d.unsqueeze(2), d.unsqueeze(1)), margin);     // d_ap - d_an + m
  Tensor v = Tensor::from_vector(valid, {n, n, n}).to(h.dtype());  // constant
  return div(sum(mul(v, relu(t))), count);
}

Tensor ranking_triplet_bank_loss(const Tensor& h, const Tensor& labels, const Tensor& bank,
                                 const Tensor& bank_labels, double margin) {
  const char* name = "ranking_triplet_bank_loss";
  check_codes(h, name);
  check_codes(bank, name, "bank");
  require(bank.size(1) == h.size(1) && bank.dtype() == h.dtype(), name,
          fmt::format("bank {} {} must be (N,{}) {}", dtype_name(bank.dtype()), bank.shape_str(),
                      h.size(1), dtype_name(h.dtype())));
  auto check_labels = [&](const Tensor& y, int64_t n, const char* what) {
    require(y.dtype() == DType::i64 && y.dim() == 1 && y.size(0) == n, name,
            fmt::format("{} must be ({}) i64, got {} {}", what, n, dtype_name(y.dtype()),
                        y.shape_str()));
  };
  check_labels(labels, h.size(0), "labels");
  check_labels(bank_labels, bank.size(0), "bank_labels");
  const int64_t b = h.size(0), n = bank.size(0);
  Tensor d = detail::pairwise_sq_dist(h, bank.detach());  // (B,N), differentiable in h
  const std::vector<double> dv = d.detach().to(DType::f64).to_vector<double>();
  const std::vector<int64_t> y = labels.to_vector<int64_t>(), yb = bank_labels.to_vector<int64_t>();
  std::vector<double> coef(b * n, 0.0);
  double triplets = 0, active = 0;
  std::vector<double> pos, neg;
  for (int64_t a = 0; a < b; ++a) {
    if (y[a] < 0) continue;
    const double* da = dv.data() + a * n;
    pos.clear(), neg.clear();
    for (int64_t j = 0; j < n; ++j)
      if (yb[j] == y[a])
        pos.push_back(da[j]);
      else if (yb[j] >= 0)
        neg.push_back(da[j]);
    if (pos.empty() || neg.empty()) continue;
    triplets += static_cast<double>(pos.size()) * static_cast<double>(neg.size());
    std::sort(pos.begin(), pos.end());
    std::sort(neg.begin(), neg.end());
    // (p, n) is active when margin + d_p - d_n > 0, i.e. d_n < margin + d_p.
    for (int64_t j = 0; j < n; ++j) {
      if (yb[j] == y[a]) {
        const double k = std::lower_bound(neg.begin(), neg.end(), margin + da[j]) - neg.begin();
        coef[a * n + j] = k, active += k;
      } else if (yb[j] >= 0) {
        const double k = pos.end() - std::upper_bound(pos.begin(), pos.end(), da[j] - margin);
        coef[a * n + j] = -k;
      }
    }
  }
  if (triplets == 0) return mul(sum(h), 0.0);                  // keeps the graph and the dtype
  Tensor c = Tensor::from_vector(coef, {b, n}).to(h.dtype());  // constant
  return div(add(sum(mul(c, d)), margin * active), triplets);
}

Tensor neighbour_embedding_loss(const Tensor& h, const Tensor& w, double margin) {
  const char* name = "neighbour_embedding_loss";
  check_codes(h, name);
  const int64_t b = h.size(0);
  require(w.shape() == Shape{b, b} && w.dtype() == h.dtype(), name,
          fmt::format("w {} {} must be ({},{}) {}", dtype_name(w.dtype()), w.shape_str(), b, b,
                      dtype_name(h.dtype())));
  if (b < 2) return mul(sum(h), 0.0);
  Tensor wc = w.detach();
  Tensor d = detail::pairwise_sq_dist(h, h);
  Tensor per_pair = add(mul(wc, d), mul(rsub(1.0, wc), relu(rsub(margin, d))));
  return div(sum(mul(off_diagonal(b, h.dtype()), per_pair)), static_cast<double>(b * (b - 1)));
}

Tensor knn_graph(const Tensor& features, int64_t k) {
  const char* name = "knn_graph";
  detail::require_floating(features, name, "features");
  detail::require_dim(features, 2, name, "features");
  require(k >= 0, name, fmt::format("k must be >= 0, got {}", k));
  const int64_t b = features.size(0);
  std::vector<double> sim;
  {
    NoGradGuard guard;
    sim = cosine_matrix(features.detach().to(DType::f64)).to_vector<double>();
  }
  std::vector<double> w(b * b, 0.0);
  std::vector<int64_t> order(b);
  for (int64_t i = 0; i < b; ++i) {
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t x, int64_t y) { return sim[i * b + x] > sim[i * b + y]; });
    int64_t taken = 0;
    for (int64_t j : order) {
      if (taken == k) break;
      if (j == i) continue;
      w[i * b + j] = w[j * b + i] = 1, ++taken;
    }
  }
  return Tensor::from_vector(w, {b, b}).to(features.dtype());
}

Tensor dvb_loss(const Tensor& reconstruction, const Tensor& x, const Tensor& mu,
                const Tensor& logvar, const Tensor& prior_mu, double kl_weight,
                double quantization_weight) {
  const char* name = "dvb_loss";
  check_codes(mu, name, "mu");
  detail::require_same_shape(reconstruction, x, name, "reconstruction", "x");
  detail::require_same_shape(mu, prior_mu, name, "mu", "prior_mu");
  require(reconstruction.dim() == 2 && reconstruction.size(0) == mu.size(0), name,
          fmt::format("reconstruction {} must be (B,D) for mu {}", reconstruction.shape_str(),
                      mu.shape_str()));
  const double batch = static_cast<double>(mu.size(0));
  Tensor d = sub(reconstruction, x.detach());
  Tensor rec = div(mul(sum(mul(d, d)), 0.5), batch);
  Tensor kl = kl_gaussian(mu, logvar, prior_mu.detach(), Tensor::zeros({mu.size(1)}, mu.dtype()));
  Tensor q = sub(mu, detail::sign_pm1(mu));
  Tensor quant = div(sum(mul(q, q)), batch);
  return add(rec, add(mul(kl, kl_weight), mul(quant, quantization_weight)));
}

}  // namespace he::losses
