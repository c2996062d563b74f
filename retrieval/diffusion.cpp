#include "retrieval/diffusion.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "retrieval/float_search.h"  // unit_rows

namespace he::retrieval {

namespace {

// max(cos, 0)^gamma of two unit rows, in double: the same value for (a, b) and (b, a).
double affinity(const float* a, const float* b, size_t d, double gamma) {
  double s = 0;
  for (size_t j = 0; j < d; ++j) s += double(a[j]) * b[j];
  return std::pow(std::max(s, 0.0), gamma);
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
}

}  // namespace

DiffusionGraph DiffusionGraph::build(const float* db, size_t n, size_t d,
                                     const DiffusionOptions& opt) {
  if (n < 2 || d == 0)
    throw std::invalid_argument("diffusion: need at least 2 database rows of dimension > 0, got " +
                                std::to_string(n) + " x " + std::to_string(d));
  if (!(opt.alpha > 0 && opt.alpha < 1) || !(opt.gamma > 0) || opt.graph_k < 1 || opt.query_k < 1)
    throw std::invalid_argument("diffusion: need 0 < alpha < 1, gamma > 0, graph_k, query_k >= 1");
  DiffusionGraph g;
  g.n_ = n, g.d_ = d, g.opt_ = opt;
  g.db_ = unit_rows(db, n, d);
  const size_t gk = std::min(opt.graph_k, n - 1);
  const FloatKnnResult nn = float_knn(g.db_.data(), n, g.db_.data(), n, d, gk + 1,
                                      FloatMetric::InnerProduct, opt.threads);
  // Each row's graph_k nearest other rows, sorted by id for the reciprocity test.
  std::vector<std::vector<int64_t>> near(n);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j <= gk && near[i].size() < gk; ++j)
      if (nn.ids[i * (gk + 1) + j] != static_cast<int64_t>(i))
        near[i].push_back(nn.ids[i * (gk + 1) + j]);
    std::sort(near[i].begin(), near[i].end());
  }
  std::vector<std::vector<std::pair<int64_t, double>>> rows(n);
  std::vector<double> degree(n, 0.0);
  for (size_t i = 0; i < n; ++i)
    for (int64_t j : near[i])
      if (std::binary_search(near[j].begin(), near[j].end(), static_cast<int64_t>(i))) {
        const double a = affinity(&g.db_[i * d], &g.db_[j * d], d, opt.gamma);
        rows[i].emplace_back(j, a);
        degree[i] += a;
      }
  g.row_start_.assign(n + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    g.row_start_[i + 1] = g.row_start_[i] + rows[i].size();
    for (auto [j, a] : rows[i]) {
      g.col_.push_back(j);
      g.val_.push_back(degree[i] > 0 && degree[j] > 0 ? a / std::sqrt(degree[i] * degree[j]) : 0);
    }
  }
  return g;
}

std::vector<double> DiffusionGraph::apply(const std::vector<double>& v) const {
  std::vector<double> out(n_);
  for (size_t i = 0; i < n_; ++i) {
    double s = 0;
    for (size_t e = row_start_[i]; e < row_start_[i + 1]; ++e) s += val_[e] * v[col_[e]];
    out[i] = v[i] - opt_.alpha * s;
  }
  return out;
}

std::vector<double> DiffusionGraph::solve(const std::vector<double>& y) const {
  if (y.size() != n_)
    throw std::invalid_argument("diffusion: y has " + std::to_string(y.size()) +
                                " entries, the "
                                "graph " +
                                std::to_string(n_) + " rows");
  std::vector<double> f(n_, 0.0), r = y, p = y;
  double rs = dot(r, r);
  const double stop = opt_.tol * opt_.tol * rs;
  for (int it = 0; it < opt_.max_iter && rs > stop && rs > 0; ++it) {
    const std::vector<double> mp = apply(p);
    const double step = rs / dot(p, mp);
    for (size_t i = 0; i < n_; ++i) f[i] += step * p[i], r[i] -= step * mp[i];
    const double next = dot(r, r);
    for (size_t i = 0; i < n_; ++i) p[i] = r[i] + (next / rs) * p[i];
    rs = next;
  }
  return f;
}

FloatKnnResult DiffusionGraph::search(const float* queries, size_t nq, size_t k) const {
  if (k < 1 || k > n_)
    throw std::invalid_argument("diffusion: k=" + std::to_string(k) + " must be in [1, " +
                                std::to_string(n_) + "]");
  const size_t qk = std::min(opt_.query_k, n_);
  const FloatKnnResult nn =
      float_knn(db_.data(), n_, queries, nq, d_, qk, FloatMetric::Cosine, opt_.threads);
  FloatKnnResult res{nq, k, std::vector<int64_t>(nq * k), std::vector<float>(nq * k)};
  const int T = opt_.threads > 0 ? opt_.threads : omp_get_max_threads();
#pragma omp parallel for num_threads(T) schedule(dynamic, 4)
  for (size_t q = 0; q < nq; ++q) {
    std::vector<double> y(n_, 0.0);
    for (size_t j = 0; j < qk; ++j)
      y[nn.ids[q * qk + j]] = std::pow(std::max(double(nn.scores[q * qk + j]), 0.0), opt_.gamma);
    const std::vector<double> f = solve(y);
    std::vector<int64_t> order(n_);
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                      [&](int64_t a, int64_t b) { return f[a] > f[b] || (f[a] == f[b] && a < b); });
    for (size_t j = 0; j < k; ++j)
      res.ids[q * k + j] = order[j], res.scores[q * k + j] = static_cast<float>(f[order[j]]);
  }
  return res;
}

}  // namespace he::retrieval
