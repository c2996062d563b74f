// Generic losses against values computed here in plain loops (or by hand), and their errors.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "engine/engine.h"
#include "losses/generic.h"

namespace he {
namespace {

using Vec = std::vector<double>;

Tensor f64(const Vec& v, const Shape& s) { return Tensor::from_vector(v, s); }
Tensor i64(const std::vector<int64_t>& v) { return Tensor::from_vector(v); }
double value(const Tensor& t) { return t.item_double(); }

TEST(LossCrossEntropy, MatchesLoopsWithAndWithoutSmoothing) {
  const Vec x = {1.0, 2.0, 0.5, -1.0, 0.0, 3.0};  // (2,3)
  const std::vector<int64_t> y = {2, 0};
  for (double eps : {0.0, 0.1}) {
    double expected = 0;
    for (int i = 0; i < 2; ++i) {
      double z = 0;
      for (int c = 0; c < 3; ++c) z += std::exp(x[i * 3 + c]);
      double nll = -(x[i * 3 + y[i]] - std::log(z)), uni = 0;
      for (int c = 0; c < 3; ++c) uni += -(x[i * 3 + c] - std::log(z)) / 3;
      expected += ((1 - eps) * nll + eps * uni) / 2;
    }
    EXPECT_NEAR(value(losses::cross_entropy(f64(x, {2, 3}), i64(y), eps)), expected, 1e-12) << eps;
  }
  // f32 works too.
  EXPECT_NEAR(value(losses::cross_entropy(f64(x, {2, 3}).to(DType::f32), i64(y))),
              value(losses::cross_entropy(f64(x, {2, 3}), i64(y))), 1e-6);
}

TEST(LossCrossEntropy, RejectsBadLabels) {
  EXPECT_THROW(losses::cross_entropy(Tensor::zeros({2, 3}), i64({0, 1, 2})), std::invalid_argument);
  EXPECT_THROW(losses::cross_entropy(Tensor::zeros({2, 3}), f64({0, 1}, {2})),
               std::invalid_argument);
  EXPECT_THROW(losses::cross_entropy(Tensor::zeros({2, 3}), i64({0, 3})), std::invalid_argument);
}

TEST(LossBce, MatchesNaiveFormulaAndStaysFinite) {
  const Vec x = {-2.0, 0.0, 0.7, 3.0}, y = {0.0, 1.0, 0.25, 1.0};
  double expected = 0;
  for (int i = 0; i < 4; ++i) {
    double p = 1 / (1 + std::exp(-x[i]));
    expected += -(y[i] * std::log(p) + (1 - y[i]) * std::log(1 - p)) / 4;
  }
  EXPECT_NEAR(value(losses::bce_with_logits(f64(x, {4}), f64(y, {4}))), expected, 1e-12);
  // Large logits: the stable form gives |x| for a wrong confident guess, never inf.
  EXPECT_NEAR(value(losses::bce_with_logits(f64({1000.0}, {1}), f64({0.0}, {1}))), 1000.0, 1e-9);
  EXPECT_THROW(losses::bce_with_logits(f64(x, {4}), f64(y, {2, 2})), std::invalid_argument);
}

TEST(LossRegression, MseL1SmoothL1) {
  const Vec a = {1.0, -2.0, 0.5, 4.0}, b = {0.0, 0.0, 0.0, 1.5};
  // differences 1, -2, 0.5, 2.5
  EXPECT_NEAR(value(losses::mse(f64(a, {2, 2}), f64(b, {2, 2}))), (1 + 4 + 0.25 + 6.25) / 4, 1e-12);
  EXPECT_NEAR(value(losses::l1(f64(a, {4}), f64(b, {4}))), (1 + 2 + 0.5 + 2.5) / 4, 1e-12);
  // beta = 1: |d| < 1 -> 0.5 d^2, else |d| - 0.5
  EXPECT_NEAR(value(losses::smooth_l1(f64(a, {4}), f64(b, {4}))),
              ((1 - 0.5) + (2 - 0.5) + 0.125 + (2.5 - 0.5)) / 4, 1e-12);
  // beta = 3: all inside -> 0.5 d^2 / 3
  EXPECT_NEAR(value(losses::smooth_l1(f64(a, {4}), f64(b, {4}), 3.0)),
              0.5 * (1 + 4 + 0.25 + 6.25) / 3 / 4, 1e-12);
  EXPECT_NEAR(value(losses::smooth_l1(f64(a, {4}), f64(b, {4}), 0.0)), 1.5, 1e-12);
  EXPECT_THROW(losses::mse(f64(a, {4}), f64(b, {2, 2})), std::invalid_argument);
}

TEST(LossKl, StandardNormalAndGivenPrior) {
  const Vec mu = {0.5, -1.0, 0.0, 2.0}, lv = {0.1, -0.5, 0.3, 0.0};  // (2,2)
  double expected = 0;
  for (int i = 0; i < 4; ++i) expected += -0.5 * (1 + lv[i] - mu[i] * mu[i] - std::exp(lv[i])) / 2;
  EXPECT_NEAR(value(losses::kl_standard_normal(f64(mu, {2, 2}), f64(lv, {2, 2}))), expected, 1e-12);
  // KL(N(0,1) || N(0,1)) = 0, and the standard prior reproduces kl_standard_normal.
  EXPECT_NEAR(value(losses::kl_gaussian(f64(mu, {2, 2}), f64(lv, {2, 2}), f64({0, 0}, {2}),
                                        f64({0, 0}, {2}))),
              expected, 1e-12);
  // A per-dimension prior (D) broadcast over the batch.
  const Vec pm = {1.0, -0.5}, pl = {0.2, -0.3};
  double e2 = 0;
  for (int i = 0; i < 2; ++i)
    for (int d = 0; d < 2; ++d) {
      int k = i * 2 + d;
      double diff = mu[k] - pm[d];
      e2 += 0.5 * (pl[d] - lv[k] + (std::exp(lv[k]) + diff * diff) / std::exp(pl[d]) - 1) / 2;
    }
  EXPECT_NEAR(
      value(losses::kl_gaussian(f64(mu, {2, 2}), f64(lv, {2, 2}), f64(pm, {2}), f64(pl, {2}))), e2,
      1e-12);
}

TEST(LossContrastive, PairsByHand) {
  // pair 0: similar, d = 5 (3-4-5) -> 25; pair 1: dissimilar, d = 0.5 < m = 2 -> 1.5^2;
  // pair 2: dissimilar, d = 5 > m -> 0.
  const Vec x1 = {0, 0, 1, 1, 0, 0}, x2 = {3, 4, 1, 1.5, 0, 5};
  Tensor s = f64({1, 0, 0}, {3});
  EXPECT_NEAR(value(losses::contrastive(f64(x1, {3, 2}), f64(x2, {3, 2}), s, 2.0)),
              (25 + 2.25 + 0) / 3, 1e-9);
  EXPECT_THROW(losses::contrastive(f64(x1, {3, 2}), f64(x2, {3, 2}), f64({1, 0}, {2})),
               std::invalid_argument);
}

TEST(LossContrastive, InBatchMatchesLoops) {
  const Vec e = {0.0, 0.0, 0.3, 0.4, 2.0, 0.0};  // (3,2)
  const std::vector<int64_t> y = {0, 0, 1};
  const double m = 1.5;
  double expected = 0;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      if (i == j) continue;
      double dx = e[i * 2] - e[j * 2], dy = e[i * 2 + 1] - e[j * 2 + 1];
      double d = std::sqrt(dx * dx + dy * dy);
      expected += (y[i] == y[j] ? d * d : std::pow(std::max(m - d, 0.0), 2)) / 6;
    }
  EXPECT_NEAR(value(losses::contrastive_in_batch(f64(e, {3, 2}), i64(y), m)), expected, 1e-9);
}

TEST(LossTriplet, BatchHardAndSemiHardByHand) {
  // Points 0, 1, 3, 6 on a line, labels 0 0 1 1, margin 1: d01=1 d02=3 d03=6 d12=2 d13=5 d23=3.
  // Batch-hard per anchor (d_ap, d_an): 0:(1,3)->0  1:(1,2)->0  2:(3,2)->2  3:(3,5)->0; mean 0.5.
  // Semi-hard per pair: (0,1): closest d_an > 1 is 3 -> 0; (1,0): 2 -> 0; (2,3): none > 3, the
  // farthest is d20 = 3 -> 1; (3,2): 5 -> 0; mean 0.25.
  Tensor emb = f64({0, 0, 1, 0, 3, 0, 6, 0}, {4, 2});
  Tensor y = i64({0, 0, 1, 1});
  EXPECT_NEAR(value(losses::triplet_margin(emb, y, 1.0)), 0.5, 1e-9);
  EXPECT_NEAR(value(losses::triplet_margin(emb, y, 1.0, losses::TripletMining::SemiHard)), 0.25,
              1e-9);
  // No negatives at all: 0.
  EXPECT_EQ(value(losses::triplet_margin(emb, i64({0, 0, 0, 0}), 1.0)), 0.0);
}

}  // namespace
}  // namespace he
