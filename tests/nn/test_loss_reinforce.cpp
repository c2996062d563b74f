// The policy-gradient losses: the triplet reward and its credits against plain loops, and the
// REINFORCE estimate, averaged exactly over every joint action of a tiny batch, against the
// gradient of the expected reward.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "engine/engine.h"
#include "losses/reinforce.h"
#include "losses/similarity.h"

namespace he {
namespace {

using Vec = std::vector<double>;

// The reward of each anchor and each action's credit by the definitions of reinforce.h.
struct Reference {
  Vec reward, credit, gain;
};
Reference reference(const Vec& a, const std::vector<int64_t>& y, int bits) {
  const int b = static_cast<int>(y.size());
  auto w = [&](int i, int j) {  // w_ij
    int pos = 0, neg = 0;
    for (int k = 0; k < b; ++k) pos += (k != i && y[k] == y[i]), neg += (y[k] != y[i]);
    if (y[j] != y[i]) return 1.0 / neg;
    return j != i ? -1.0 / pos : 0.0;
  };
  auto differ = [&](int i, int j, int m) { return a[i * bits + m] != a[j * bits + m] ? 1.0 : 0.0; };
  Reference r{Vec(b, 0.0), Vec(b * bits, 0.0), Vec(b * bits, 0.0)};
  for (int i = 0; i < b; ++i)
    for (int j = 0; j < b; ++j)
      for (int m = 0; m < bits; ++m) {
        r.reward[i] += w(i, j) * differ(i, j, m) / bits;
        r.credit[i * bits + m] += (w(i, j) + w(j, i)) * differ(i, j, m);
        // [1 != a_jm] - [0 != a_jm]
        r.gain[i * bits + m] += (w(i, j) + w(j, i)) * (a[j * bits + m] ? -1.0 : 1.0);
      }
  return r;
}

Vec values(const Tensor& t) {
  Tensor c = t.contiguous().to(DType::f64);
  return Vec(c.data<double>(), c.data<double>() + c.numel());
}

TEST(TripletMarginReward, MatchesPlainLoops) {
  // 5 images, 3 bits; labels 0 0 1 1 2: the last anchor has no positive.
  const std::vector<int64_t> y = {0, 0, 1, 1, 2};
  const Vec a = {1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1, 1, 1, 1, 0};
  Tensor S = losses::similarity(Tensor::from_vector(y), DType::f64);
  losses::TripletReward r = losses::triplet_margin_reward(Tensor::from_vector(a, {5, 3}), S);
  const Reference want = reference(a, y, 3);
  const Vec reward = values(r.reward), credit = values(r.credit), gain = values(r.gain);
  ASSERT_EQ(reward.size(), 5u);
  ASSERT_EQ(credit.size(), 15u);
  ASSERT_EQ(gain.size(), 15u);
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(reward[i], want.reward[i], 1e-12) << i;
  for (int k = 0; k < 15; ++k) {
    EXPECT_NEAR(credit[k], want.credit[k], 1e-12) << k;
    EXPECT_NEAR(gain[k], want.gain[k], 1e-12) << k;
  }
  // By hand, anchor 0 (code 101): its positive 1 (110) is 2 bits away, its negatives 2 (001),
  // 3 (011), 4 (110) are 1, 2, 2 away: r_0 = (5/3 - 2) / 3 = -1/9. Anchor 4 (110) has no
  // positive; distances to 0 (101) 2, 1 (110) 0, 2 (001) 3, 3 (011) 2: r_4 = (7/4) / 3.
  EXPECT_NEAR(reward[0], -1.0 / 9, 1e-12);
  EXPECT_NEAR(reward[4], 7.0 / 12, 1e-12);
}

TEST(ReinforceBernoulli, ValueIsTheWeightedLogLikelihood) {
  const Vec u = {0.3, -1.2, 2.0, 0.0}, a = {1, 0, 0, 1}, adv = {0.5, -2.0, 1.5, 0.25};
  Tensor l =
      losses::reinforce_bernoulli(Tensor::from_vector(u, {2, 2}), Tensor::from_vector(a, {2, 2}),
                                  Tensor::from_vector(adv, {2, 2}));
  double want = 0;
  for (int k = 0; k < 4; ++k) {
    const double p = 1 / (1 + std::exp(-u[k]));
    want -= adv[k] * std::log(a[k] ? p : 1 - p) / 4;
  }
  EXPECT_NEAR(l.item_double(), want, 1e-12);
}

// Three images (labels 0 0 1), two bits: all 2^6 joint actions a, each with probability
// pi(a) = prod p^a (1-p)^(1-a). The REINFORCE gradient with the credits, less a constant
// baseline or less the mean of each action's two credits (which depends on the other actions),
// summed over a weighted by pi(a), must be -dE[R]/du, E[R] = sum_a pi(a) R(a) differentiated
// by autograd.
void expect_unbiased(bool counterfactual) {
  const std::vector<int64_t> y = {0, 0, 1};
  const int n = 3, bits = 2, k = n * bits;
  const Vec logits = {0.4, -0.7, 1.1, 0.2, -0.3, 0.9};
  Tensor S = losses::similarity(Tensor::from_vector(y), DType::f64);
  const Tensor constant = Tensor::from_vector(Vec{0.3, -0.2}, {1, bits});

  Tensor u_exact = Tensor::from_vector(logits, {n, bits});
  Tensor u_est = Tensor::from_vector(logits, {n, bits});
  u_exact.requires_grad_(), u_est.requires_grad_();
  Tensor p = sigmoid(u_exact);
  Tensor expected_reward = Tensor::scalar(0.0, DType::f64);
  for (int mask = 0; mask < (1 << k); ++mask) {
    Vec av(k);
    for (int j = 0; j < k; ++j) av[j] = (mask >> j) & 1;
    Tensor a = Tensor::from_vector(av, {n, bits});
    Tensor prob = exp(sum(log(add(mul(a, p), mul(rsub(1.0, a), rsub(1.0, p))))));
    losses::TripletReward r = losses::triplet_margin_reward(a, S);
    expected_reward = add(expected_reward, mul(prob, mean(r.reward).item_double()));
    Tensor baseline =
        counterfactual ? sub(r.credit, mul(mul(sub(mul(a, 2.0), 1.0), r.gain), 0.5)) : constant;
    // This action's estimate, weighted by its (constant) probability.
    Tensor est = losses::reinforce_bernoulli(u_est, a, sub(r.credit, baseline));
    mul(est, prob.detach().item_double()).backward();
  }
  expected_reward.backward();
  const Vec exact = values(u_exact.grad()), est = values(u_est.grad());
  for (int j = 0; j < k; ++j) {
    EXPECT_NEAR(est[j], -exact[j], 1e-12) << j;
    EXPECT_GT(std::abs(exact[j]), 1e-4) << j;  // not a trivial 0 = 0
  }
}

TEST(ReinforceBernoulli, ExpectedEstimateIsTheGradientOfTheExpectedReward) {
  expect_unbiased(false);
}

TEST(ReinforceBernoulli, TheOtherActionsBaselineKeepsItUnbiased) { expect_unbiased(true); }

}  // namespace
}  // namespace he
