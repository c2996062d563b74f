// One row per loss: a double-precision finite-difference check of its gradient. Labels,
// similarity matrices and centres are constants captured by the row.
#include <gtest/gtest.h>

#include "gradcheck.h"
#include "losses/generic.h"
#include "losses/hashing.h"
#include "losses/reinforce.h"
#include "losses/similarity.h"

namespace he {
namespace {

using testing::gradcheck;
using testing::leaf;
using In = std::vector<Tensor>;

struct LossGradCase {
  std::string name;
  std::function<In()> inputs;
  testing::Fn f;
};

Tensor labels(std::vector<int64_t> v) { return Tensor::from_vector(v); }

std::vector<LossGradCase> cases() {
  auto one = [](Shape a, double lo = -1, double hi = 1) {
    return [=] { return In{leaf(a, 11, lo, hi)}; };
  };
  auto two = [](Shape a, Shape b, double lo = -1, double hi = 1) {
    return [=] { return In{leaf(a, 12, lo, hi), leaf(b, 13, lo, hi)}; };
  };
  const Tensor y6 = labels({0, 1, 0, 2, 1, 0});
  const Tensor s6 = losses::similarity(y6, DType::f64);
  Generator gen(5);
  const Tensor bank = Tensor::uniform({5, 4}, -1, 1, gen, DType::f64);
  const Tensor s_bank = losses::similarity(y6, labels({0, 1, 2, 2, 3}), DType::f64);
  const Tensor own = sign(Tensor::uniform({6, 4}, -1, 1, gen, DType::f64));
  const Tensor centers = losses::centers_for_labels(losses::hash_centers(3, 4, 0, DType::f64), y6);
  return {
      // generic
      {"cross_entropy", one({4, 5}, -2, 2),
       [](const In& x) {
         return losses::cross_entropy(x[0], labels({1, 0, 4, 1}));
       }},
      {"cross_entropy_smoothing", one({4, 5}, -2, 2),
       [](const In& x) {
         return losses::cross_entropy(x[0], labels({1, 0, 4, 1}), 0.2);
       }},
      {"bce_with_logits", two({3, 4}, {3, 4}, -3, 3),
       [](const In& x) { return losses::bce_with_logits(x[0], sigmoid(x[1])); }},
      {"mse", two({3, 4}, {3, 4}), [](const In& x) { return losses::mse(x[0], x[1]); }},
      {"l1", two({3, 4}, {3, 4}), [](const In& x) { return losses::l1(x[0], x[1]); }},
      {"smooth_l1", two({3, 4}, {3, 4}, -2, 2),
       [](const In& x) { return losses::smooth_l1(x[0], x[1], 0.7); }},
      {"kl_standard_normal", two({3, 4}, {3, 4}),
       [](const In& x) { return losses::kl_standard_normal(x[0], x[1]); }},
      {"kl_gaussian",
       [] {
         return In{leaf({3, 4}, 1), leaf({3, 4}, 2), leaf({4}, 3), leaf({4}, 4)};
       },
       [](const In& x) { return losses::kl_gaussian(x[0], x[1], x[2], x[3]); }},
      {"contrastive",
       [] {
         return In{leaf({5, 3}, 1), leaf({5, 3}, 2)};
       },
       [](const In& x) {
         return losses::contrastive(x[0], x[1],
                                    Tensor::from_vector(std::vector<double>{1, 0, 0, 1, 0}), 1.5);
       }},
      {"contrastive_in_batch", one({6, 3}),
       [y6](const In& x) { return losses::contrastive_in_batch(x[0], y6, 1.2); }},
      {"triplet_batch_hard", one({6, 3}),
       [y6](const In& x) { return losses::triplet_margin(x[0], y6, 1.0); }},
      {"triplet_semi_hard", one({6, 3}),
       [y6](const In& x) {
         return losses::triplet_margin(x[0], y6, 0.5, losses::TripletMining::SemiHard);
       }},
      // hashing
      {"dpsh", one({6, 4}), [s6](const In& x) { return losses::dpsh(x[0], s6, 0.1); }},
      {"dpsh_bank", one({6, 4}),
       [bank, s_bank](const In& x) { return losses::dpsh_bank(x[0], bank, s_bank, 0.1); }},
      {"dhn", one({6, 4}), [s6](const In& x) { return losses::dhn(x[0], s6, 0.1); }},
      {"dhn_bank", one({6, 4}),
       [bank, s_bank](const In& x) { return losses::dhn_bank(x[0], bank, s_bank); }},
      {"dsh", one({6, 4}), [s6](const In& x) { return losses::dsh(x[0], s6, 0.1, 3.0); }},
      {"dsh_bank", one({6, 4}),
       [bank, s_bank](const In& x) { return losses::dsh_bank(x[0], bank, s_bank, 0.1); }},
      {"reinforce_bernoulli", one({6, 4}, -2, 2),
       [own](const In& x) {
         Tensor a = gt(own, 0.0).to(DType::f64);
         return losses::reinforce_bernoulli(x[0], a, mul(own, 0.7));
       }},
      {"hashnet", one({6, 4}), [s6](const In& x) { return losses::hashnet(tanh(x[0]), s6, 0.5); }},
      {"hashnet_bank", one({6, 4}),
       [bank, s_bank](const In& x) { return losses::hashnet_bank(x[0], bank, s_bank, 0.5); }},
      {"dch", one({6, 4}), [s6](const In& x) { return losses::dch(x[0], s6); }},
      {"dch_bank", one({6, 4}),
       [bank, s_bank](const In& x) { return losses::dch_bank(x[0], bank, s_bank); }},
      {"dtsh", one({6, 4}), [s6](const In& x) { return losses::dtsh(x[0], s6, 0.5, 1.0); }},
      {"adsh", one({6, 4}),
       [bank, s_bank, own](const In& x) {
         return losses::adsh(tanh(x[0]), bank, s_bank, own, 2.0);
       }},
      {"greedy_hash_penalty", one({6, 4}, -2, 2),
       [](const In& x) { return losses::greedy_hash_penalty(x[0]); }},
      {"csq", one({6, 4}, -2, 2),
       [centers](const In& x) { return losses::csq(x[0], centers, 0.5); }},
      {"quantization", one({6, 4}, -2, 2),
       [](const In& x) { return losses::quantization_loss(x[0]); }},
      {"bit_balance", one({6, 4}), [](const In& x) { return losses::bit_balance_loss(x[0]); }},
      {"bit_decorrelation", one({6, 4}),
       [](const In& x) { return losses::bit_decorrelation_loss(x[0]); }},
  };
}

class LossGrad : public ::testing::TestWithParam<LossGradCase> {};

TEST_P(LossGrad, MatchesFiniteDifferences) {
  const LossGradCase& c = GetParam();
  In inputs = c.inputs();
  // A loss that is 0 here (no active pair, hinge or triplet) would check nothing.
  double value = c.f(inputs).item_double();
  EXPECT_GT(std::abs(value), 1e-6) << c.name;
  EXPECT_TRUE(gradcheck(c.f, inputs)) << c.name;
}

INSTANTIATE_TEST_SUITE_P(AllLosses, LossGrad, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace he
