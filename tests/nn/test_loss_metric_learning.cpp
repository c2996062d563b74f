// Multi-similarity loss: values worked out by hand (with and without pairs removed by the
// mining) and an f64 finite-difference gradient check.
#include <gtest/gtest.h>

#include <cmath>

#include "gradcheck.h"
#include "layers/basic.h"
#include "losses/metric_learning.h"

namespace he {
namespace {

TEST(MultiSimilarity, HandComputed) {
  // Rows (1,0), (.6,.8), (0,1), labels 0, 0, 1: S01 = .6, S02 = 0, S12 = .8.
  Tensor x = Tensor::from_vector<double>({1, 0, 0.6, 0.8, 0, 1}, {3, 2});
  Tensor y = Tensor::from_vector<int64_t>({0, 0, 1});
  // eps = .1. Anchor 0: its positive (.6) is not below max neg + eps = .1 and its negative
  // (0) not above min pos - eps = .5: nothing mined. Anchor 1: positive .6 < .8 + .1 and
  // negative .8 > .6 - .1 are both kept. Anchor 2 has no positive.
  const double a1 = 0.5 * std::log(1 + std::exp(-2 * (0.6 - 0.5))) +
                    0.02 * std::log(1 + std::exp(50 * (0.8 - 0.5)));
  EXPECT_NEAR(losses::multi_similarity(x, y, 2, 50, 0.5, 0.1).item<double>(), a1 / 3, 1e-12);
  // eps = 1 keeps anchor 0's pairs too.
  const double a0 = 0.5 * std::log(1 + std::exp(-2 * (0.6 - 0.5))) +
                    0.02 * std::log(1 + std::exp(50 * (0.0 - 0.5)));
  EXPECT_NEAR(losses::multi_similarity(x, y, 2, 50, 0.5, 1.0).item<double>(), (a0 + a1) / 3, 1e-12);
  // A batch of one class has no negatives: the loss is 0.
  EXPECT_EQ(losses::multi_similarity(x, Tensor::from_vector<int64_t>({4, 4, 4})).item<double>(),
            0.0);
  EXPECT_THROW(losses::multi_similarity(x, Tensor::from_vector<int64_t>({0, 1})),
               std::invalid_argument);
}

TEST(MultiSimilarity, GradientOnUnitRows) {
  Tensor y = Tensor::from_vector<int64_t>({0, 1, 0, 2, 1, 0});
  auto f = [&](const std::vector<Tensor>& v) {
    return losses::multi_similarity(nn::l2_normalize(v[0], 1), y, 2, 10, 0.5, 0.3);
  };
  Tensor x = testing::leaf({6, 4}, 21);
  EXPECT_GT(f({x}).item<double>(), 0.1);  // pairs are mined: the check is not of a constant
  EXPECT_TRUE(testing::gradcheck(f, {x}));
}

}  // namespace
}  // namespace he
