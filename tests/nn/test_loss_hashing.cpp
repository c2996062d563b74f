// Hashing losses against values computed here in plain loops.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "engine/engine.h"
#include "losses/hashing.h"
#include "losses/similarity.h"

namespace he {
namespace {

using Vec = std::vector<double>;

Tensor f64(const Vec& v, const Shape& s) { return Tensor::from_vector(v, s); }
double value(const Tensor& t) { return t.item_double(); }

// Row-major (rows, cols) helpers for the reference loops.
struct Mat {
  int r, c;
  Vec v;
  double operator()(int i, int j) const { return v[i * c + j]; }
  Tensor t() const { return f64(v, {r, c}); }
};
double dot(const Mat& a, int i, const Mat& b, int j) {
  double s = 0;
  for (int k = 0; k < a.c; ++k) s += a(i, k) * b(j, k);
  return s;
}
double sgn(double x) { return x < 0 ? -1.0 : 1.0; }
double quant(const Mat& u) {
  double q = 0;
  for (double x : u.v) q += (x - sgn(x)) * (x - sgn(x)) / u.v.size();
  return q;
}

// Batch of 4 codes, 3 bits, labels 0 0 1 2 (one entry exactly 0: sign(0) = +1).
const Mat kU = {4, 3, {0.5, -1.2, 0.3, 0.8, -0.4, 0.0, -0.6, 0.9, 1.1, -0.2, -0.7, 0.4}};
const std::vector<int64_t> kY = {0, 0, 1, 2};
Mat labels_sim(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  Mat s{static_cast<int>(a.size()), static_cast<int>(b.size()), {}};
  for (int64_t x : a)
    for (int64_t y : b) s.v.push_back(x == y ? 1.0 : 0.0);
  return s;
}
const Mat kS = labels_sim(kY, kY);

double dpsh_ref(const Mat& u, const Mat& U, const Mat& S, double eta) {
  double l = 0;
  for (int i = 0; i < u.r; ++i)
    for (int j = 0; j < U.r; ++j) {
      double th = dot(u, i, U, j) / 2;
      l += (std::log(1 + std::exp(th)) - S(i, j) * th) / (u.r * U.r);
    }
  return l + eta * quant(u);
}

TEST(LossDpsh, InBatchAndBank) {
  EXPECT_NEAR(value(losses::dpsh(kU.t(), kS.t(), 0.1)), dpsh_ref(kU, kU, kS, 0.1), 1e-12);
  const Mat U = {3, 3, {1, -1, 1, -1, -1, 1, 0.5, 0.5, -0.5}};
  const Mat S = labels_sim(kY, {0, 1, 3});
  EXPECT_NEAR(value(losses::dpsh_bank(kU.t(), U.t(), S.t(), 0.3)), dpsh_ref(kU, U, S, 0.3), 1e-12);
  // Stable for large inner products (the naive log(1 + e^theta) would overflow).
  Tensor big = f64({40, 40}, {1, 2});
  EXPECT_NEAR(value(losses::dpsh(big, f64({0}, {1, 1}), 0)), 1600.0, 1e-9);
  EXPECT_THROW(losses::dpsh_bank(kU.t(), U.t(), kS.t()), std::invalid_argument);
}

TEST(LossDhn, MatchesLoops) {
  double reg = 0;
  for (double x : kU.v) reg += std::log(std::cosh(std::abs(x) - 1)) / kU.v.size();
  EXPECT_NEAR(value(losses::dhn(kU.t(), kS.t(), 0.2)), dpsh_ref(kU, kU, kS, 0) + 0.2 * reg, 1e-12);
  const Mat U = {2, 3, {1, -1, 1, -1, -1, 1}};
  const Mat S = labels_sim(kY, {0, 2});
  EXPECT_NEAR(value(losses::dhn_bank(kU.t(), U.t(), S.t(), 0.2)), dpsh_ref(kU, U, S, 0) + 0.2 * reg,
              1e-12);
}

double dsh_ref(const Mat& u, const Mat& U, const Mat& S, double alpha, double m) {
  double l = 0;
  for (int i = 0; i < u.r; ++i)
    for (int j = 0; j < U.r; ++j) {
      double d = 0;
      for (int k = 0; k < u.c; ++k) d += (u(i, k) - U(j, k)) * (u(i, k) - U(j, k));
      l += (0.5 * S(i, j) * d + 0.5 * (1 - S(i, j)) * std::max(m - d, 0.0)) / (u.r * U.r);
    }
  double reg = 0;
  for (double x : u.v) reg += std::abs(std::abs(x) - 1) / u.v.size();
  return l + alpha * reg;
}

TEST(LossDsh, InBatchAndBankWithDefaultMargin) {
  // Default margin 2 * bits = 6; some dissimilar pairs are inside it, none too far.
  EXPECT_NEAR(value(losses::dsh(kU.t(), kS.t(), 0.05)), dsh_ref(kU, kU, kS, 0.05, 6), 1e-12);
  EXPECT_NEAR(value(losses::dsh(kU.t(), kS.t(), 0.05, 1.5)), dsh_ref(kU, kU, kS, 0.05, 1.5), 1e-12);
  const Mat U = {3, 3, {1, -1, 1, -1, -1, 1, 0.5, 0.5, -0.5}};
  const Mat S = labels_sim(kY, {0, 1, 3});
  EXPECT_NEAR(value(losses::dsh_bank(kU.t(), U.t(), S.t())), dsh_ref(kU, U, S, 0.01, 6), 1e-12);
}

TEST(LossHashNet, WeightsAndLinearSwitch) {
  // h near +-1 with alpha = 10 so that some pairs have a >= 15 (linear branch).
  const Mat h = {3, 2, {0.9, 0.95, 0.8, 0.99, -0.9, -0.7}};
  const std::vector<int64_t> y = {0, 0, 1};
  const Mat S = labels_sim(y, y);
  for (double alpha : {10.0, 0.1}) {
    double s1 = 0, total = 9;
    for (double s : S.v) s1 += s;
    double l = 0;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) {
        double a = alpha * dot(h, i, h, j), s = S(i, j);
        double li = a >= 15 ? a * (1 - s) : std::log(1 + std::exp(a)) - s * a;
        l += li * (s > 0 ? total / s1 : total / (total - s1));
      }
    EXPECT_NEAR(value(losses::hashnet(h.t(), S.t(), alpha)), l / total, 1e-12) << alpha;
  }
  EXPECT_NEAR(value(losses::hashnet_bank(h.t(), h.t(), S.t(), 0.1)),
              value(losses::hashnet(h.t(), S.t(), 0.1)), 1e-12);
}

TEST(LossDch, MatchesLoops) {
  const double gamma = 20, lambda = 0.1, bits = 3;
  double s1 = 0;
  for (double s : kS.v) s1 += s;
  const double total = 16;
  auto dist = [&](double cos) { return bits / 2 * (1 - std::min(cos, 0.99)); };
  double pair = 0;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) {
      double cos = dot(kU, i, kU, j) / std::sqrt(dot(kU, i, kU, i) * dot(kU, j, kU, j));
      double d = dist(cos), s = kS(i, j);
      double w = s > 0 ? total / s1 : total / (total - s1);
      pair += w * (s * std::log(d / gamma) + std::log(1 + gamma / d)) / total;
    }
  double q = 0;
  for (int i = 0; i < 4; ++i) {
    double sa = 0;
    for (int k = 0; k < 3; ++k) sa += std::abs(kU(i, k));
    double cos = sa / std::sqrt(dot(kU, i, kU, i) * bits);
    q += std::log(1 + dist(cos) / gamma) / 4;
  }
  EXPECT_NEAR(value(losses::dch(kU.t(), kS.t())), pair + lambda * q, 1e-12);
  EXPECT_NEAR(value(losses::dch_bank(kU.t(), kU.t(), kS.t())), pair + lambda * q, 1e-12);
}

TEST(LossDtsh, AllTripletsByLoops) {
  const double alpha = 0.5, lambda = 0.7;
  double l = 0;
  int count = 0;
  for (int a = 0; a < 4; ++a)
    for (int p = 0; p < 4; ++p)
      for (int n = 0; n < 4; ++n) {
        if (p == a || kY[p] != kY[a] || kY[n] == kY[a]) continue;
        double t = dot(kU, a, kU, p) / 2 - dot(kU, a, kU, n) / 2 - alpha;
        l += -(t - std::log(1 + std::exp(t)));
        ++count;
      }
  ASSERT_EQ(count, 4);  // anchors 0 and 1, each with one positive and two negatives
  EXPECT_NEAR(value(losses::dtsh(kU.t(), kS.t(), alpha, lambda)), l / count + lambda * quant(kU),
              1e-12);
  // No triplet (all one label): only the quantisation term.
  EXPECT_NEAR(value(losses::dtsh(kU.t(), Tensor::ones({4, 4}, DType::f64), alpha, lambda)),
              lambda * quant(kU), 1e-12);
}

TEST(LossHashRegularisers, GreedyCsqQuantBalanceDecorrelation) {
  const int n = static_cast<int>(kU.v.size());
  double cubic = 0;
  for (double x : kU.v) cubic += std::pow(std::abs(std::abs(x) - 1), 3) / n;
  EXPECT_NEAR(value(losses::greedy_hash_penalty(kU.t(), 0.1)), 0.1 * cubic, 1e-12);

  EXPECT_NEAR(value(losses::quantization_loss(kU.t())), quant(kU), 1e-12);
  // sign(0) = +1: the single element 0 costs (0 - 1)^2.
  EXPECT_NEAR(value(losses::quantization_loss(f64({0.0}, {1, 1}))), 1.0, 1e-12);

  const Mat c = {4, 3, {1, -1, 1, 1, -1, 1, -1, 1, 1, 1, 1, -1}};
  const double lambda = 0.5;
  double bce = 0, q = 0;
  for (int i = 0; i < n; ++i) {
    double p = (std::tanh(kU.v[i]) + 1) / 2, t = (c.v[i] + 1) / 2;
    bce += -(t * std::log(p) + (1 - t) * std::log(1 - p)) / n;
    q += std::pow(std::abs(std::tanh(kU.v[i])) - 1, 2) / n;
  }
  EXPECT_NEAR(value(losses::csq(kU.t(), c.t(), lambda)), bce + lambda * q, 1e-12);
  EXPECT_THROW(losses::csq(kU.t(), Tensor::ones({4, 2}, DType::f64)), std::invalid_argument);

  double balance = 0;
  std::vector<double> m(3, 0);
  for (int k = 0; k < 3; ++k) {
    for (int i = 0; i < 4; ++i) m[k] += kU(i, k) / 4;
    balance += m[k] * m[k] / 3;
  }
  EXPECT_NEAR(value(losses::bit_balance_loss(kU.t())), balance, 1e-12);

  double decor = 0;
  for (int k = 0; k < 3; ++k)
    for (int l = 0; l < 3; ++l) {
      if (k == l) continue;
      double cov = 0;
      for (int i = 0; i < 4; ++i) cov += (kU(i, k) - m[k]) * (kU(i, l) - m[l]) / 4;
      decor += cov * cov / 6;
    }
  EXPECT_NEAR(value(losses::bit_decorrelation_loss(kU.t())), decor, 1e-12);
}

TEST(LossHashing, RejectsBadShapes) {
  EXPECT_THROW(losses::dpsh(kU.t(), Tensor::ones({3, 3}, DType::f64)), std::invalid_argument);
  EXPECT_THROW(losses::dsh(kU.t(), kS.t().to(DType::f32)), std::invalid_argument);
  EXPECT_THROW(losses::hashnet(f64({1, 2, 3}, {3}), kS.t()), std::invalid_argument);
  EXPECT_THROW(losses::quantization_loss(Tensor::ones({2, 2}, DType::i64)), std::invalid_argument);
}

}  // namespace
}  // namespace he

namespace he {
namespace {
// ADSH: plain loops over the soft similarity (1 + r) s - r, r = similar / dissimilar.
TEST(LossAdsh, MatchesLoops) {
  const Mat V = {3, 3, {1, -1, 1, -1, -1, 1, 1, 1, -1}};
  const Mat S = labels_sim(kY, {0, 1, 3});  // 3 similar pairs of 12
  const Mat own = {4, 3, {1, -1, 1, 1, 1, -1, -1, 1, 1, -1, -1, 1}};
  const double gamma = 2.5, r = 3.0 / 9.0;
  Mat h = kU;
  for (double& x : h.v) x = std::tanh(x);
  double l = 0;
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 3; ++j) {
      const double d = dot(h, i, V, j) - 3 * ((1 + r) * S(i, j) - r);
      l += d * d;
    }
    for (int k = 0; k < 3; ++k) l += gamma * (own(i, k) - h(i, k)) * (own(i, k) - h(i, k));
  }
  EXPECT_NEAR(value(losses::adsh(h.t(), V.t(), S.t(), own.t(), gamma)), l / 12, 1e-12);
  // Every pair similar: r = 0, S' = S.
  const Mat all = labels_sim({0, 0, 0, 0}, {0, 0, 0});
  double l1 = 0;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j) l1 += std::pow(dot(h, i, V, j) - 3, 2);
  EXPECT_NEAR(value(losses::adsh(h.t(), V.t(), all.t(), h.t(), gamma)), l1 / 12, 1e-12);
  EXPECT_THROW(losses::adsh(h.t(), V.t(), S.t(), V.t()), std::invalid_argument);
}
}  // namespace
}  // namespace he
