// The deep quantisation losses (losses/quantization.h): values worked out by hand, f64
// finite-difference gradient checks, and DPQ's straight-through step.
#include <gtest/gtest.h>

#include <cmath>

#include "gradcheck.h"
#include "losses/quantization.h"
#include "losses/similarity.h"

namespace he {
namespace {

double sigmoid(double v) { return 1 / (1 + std::exp(-v)); }

TEST(DqnCosine, HandComputed) {
  // Rows (1,0), (0,2), (3,0), labels 0, 0, 1. Cosines [[1,0,1],[0,1,0],[1,0,1]], targets
  // s = [[1,1,-1],[1,1,-1],[-1,-1,1]]: squared differences 0,1,4 / 1,0,1 / 4,1,0 -> 12 / 9.
  Tensor z = Tensor::from_vector<double>({1, 0, 0, 2, 3, 0}, {3, 2});
  Tensor S = losses::similarity(Tensor::from_vector<int64_t>({0, 0, 1}), DType::f64);
  EXPECT_NEAR(losses::dqn_cosine(z, S).item<double>(), 12.0 / 9.0, 1e-12);
  // A zero row has cosine 0 with everything (its diagonal term is (1 - 0)^2).
  Tensor z0 = Tensor::from_vector<double>({0, 0, 1, 0}, {2, 2});
  Tensor S0 = losses::similarity(Tensor::from_vector<int64_t>({0, 1}), DType::f64);
  EXPECT_NEAR(losses::dqn_cosine(z0, S0).item<double>(), (1 + 1 + 1 + 0) / 4.0, 1e-12);
  EXPECT_THROW(losses::dqn_cosine(z, Tensor::zeros({2, 2}, DType::f64)), std::invalid_argument);
  // Dissimilar target 0: s = [[1,1,0],[1,1,0],[0,0,1]], squared differences 0,1,1 / 1,0,0 /
  // 1,0,0 -> 4 / 9; the zero row's pairs: (1-0)^2, 0, 0, 0 -> 1 / 4.
  EXPECT_NEAR(losses::dqn_cosine(z, S, 0.0).item<double>(), 4.0 / 9.0, 1e-12);
  EXPECT_NEAR(losses::dqn_cosine(z0, S0, 0.0).item<double>(), 1.0 / 4.0, 1e-12);
}

TEST(DqnCosine, Gradient) {
  Tensor S = losses::similarity(Tensor::from_vector<int64_t>({0, 1, 0, 2, 1}), DType::f64);
  for (double dissimilar : {-1.0, 0.0}) {
    auto f = [&](const std::vector<Tensor>& v) { return losses::dqn_cosine(v[0], S, dissimilar); };
    EXPECT_TRUE(testing::gradcheck(f, {testing::leaf({5, 4}, 3)}));
  }
}

TEST(PqQuantizationError, HandComputedAndGradient) {
  // (1,2) - (1,1): 1; (3,4) - (2,2): 1 + 4 = 5; mean over rows 3.
  Tensor z = Tensor::from_vector<double>({1, 2, 3, 4}, {2, 2});
  Tensor zq = Tensor::from_vector<double>({1, 1, 2, 2}, {2, 2});
  EXPECT_NEAR(losses::pq_quantization_error(z, zq).item<double>(), 3.0, 1e-12);
  EXPECT_THROW(losses::pq_quantization_error(z, Tensor::zeros({2, 3}, DType::f64)),
               std::invalid_argument);
  Tensor target = testing::leaf({3, 4}, 5);
  auto f = [&](const std::vector<Tensor>& v) {
    return losses::pq_quantization_error(v[0], target.detach());
  };
  EXPECT_TRUE(testing::gradcheck(f, {testing::leaf({3, 4}, 4)}));
}

TEST(SoftHardPq, HandComputed) {
  // M = 2 subspaces of 1 dim, K = 2 codewords: {0, 1} and {0, 2}; x = (0.25, 2), alpha 1.
  // Subspace 0: distances 1/16, 9/16 -> p = (sigmoid(1/2), sigmoid(-1/2)), soft = p_1,
  // hard = 0 (code 0). Subspace 1: distances 4, 0 -> p_1 = sigmoid(4), soft = 2 sigmoid(4),
  // hard = 2 (code 1).
  Tensor x = Tensor::from_vector<double>({0.25, 2}, {1, 2});
  Tensor cb = Tensor::from_vector<double>({0, 1, 0, 2}, {2, 2, 1});
  losses::SoftHardPq q = losses::soft_hard_pq(x, cb, 1.0);
  std::vector<double> soft = q.soft.to_vector<double>(), hard = q.hard.to_vector<double>();
  EXPECT_NEAR(soft[0], sigmoid(-0.5), 1e-12);
  EXPECT_NEAR(soft[1], 2 * sigmoid(4), 1e-12);
  EXPECT_NEAR(hard[0], 0, 1e-12);
  EXPECT_NEAR(hard[1], 2, 1e-12);
  EXPECT_EQ(q.codes.to_vector<int64_t>(), (std::vector<int64_t>{0, 1}));
  // alpha sharpens the soft assignment: at alpha 4, subspace 0's p_1 = sigmoid(-2).
  EXPECT_NEAR(losses::soft_hard_pq(x, cb, 4.0).soft.to_vector<double>()[0], sigmoid(-2), 1e-12);
  EXPECT_THROW(losses::soft_hard_pq(x, Tensor::zeros({3, 2, 1}, DType::f64)),
               std::invalid_argument);
}

TEST(SoftHardPq, SoftGradient) {
  auto f = [](const std::vector<Tensor>& v) { return losses::soft_hard_pq(v[0], v[1], 0.7).soft; };
  EXPECT_TRUE(testing::gradcheck(f, {testing::leaf({4, 6}, 6), testing::leaf({3, 5, 2}, 7)}));
}

// The hard output's value is the nearest codeword, its gradient the soft output's.
TEST(SoftHardPq, StraightThroughCarriesTheSoftGradient) {
  Tensor x = testing::leaf({4, 6}, 8), cb = testing::leaf({3, 5, 2}, 9);
  Generator g(10);
  Tensor w = Tensor::randn({4, 6}, g, DType::f64);
  sum(mul(losses::soft_hard_pq(x, cb).hard, w)).backward();
  std::vector<double> gx_hard = x.grad().to_vector<double>(),
                      gc_hard = cb.grad().to_vector<double>();
  x.zero_grad(), cb.zero_grad();
  sum(mul(losses::soft_hard_pq(x, cb).soft, w)).backward();
  EXPECT_EQ(gx_hard, x.grad().to_vector<double>());
  EXPECT_EQ(gc_hard, cb.grad().to_vector<double>());
  // Values: every sub-vector of hard is a codeword, the one nearest to x's sub-vector.
  losses::SoftHardPq q = losses::soft_hard_pq(x, cb);
  std::vector<double> xv = x.to_vector<double>(), cv = cb.to_vector<double>(),
                      hv = q.hard.to_vector<double>();
  std::vector<int64_t> codes = q.codes.to_vector<int64_t>();
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 3; ++j) {
      double best = 1e300;
      int64_t arg = -1;
      for (int k = 0; k < 5; ++k) {
        const double d0 = xv[i * 6 + j * 2] - cv[(j * 5 + k) * 2],
                     d1 = xv[i * 6 + j * 2 + 1] - cv[(j * 5 + k) * 2 + 1];
        if (d0 * d0 + d1 * d1 < best) best = d0 * d0 + d1 * d1, arg = k;
      }
      EXPECT_EQ(codes[i * 3 + j], arg);
      EXPECT_DOUBLE_EQ(hv[i * 6 + j * 2], cv[(j * 5 + arg) * 2]);
    }
}

TEST(JointCentral, HandComputedAndGradient) {
  // soft (1,0), hard (0,0), centre of class 1 (1,1): (1 + 2) / 2.
  Tensor soft = Tensor::from_vector<double>({1, 0}, {1, 2});
  Tensor hard = Tensor::from_vector<double>({0, 0}, {1, 2});
  Tensor centers = Tensor::from_vector<double>({0, 0, 1, 1}, {2, 2});
  Tensor y = Tensor::from_vector<int64_t>({1});
  EXPECT_NEAR(losses::joint_central(soft, hard, centers, y).item<double>(), 1.5, 1e-12);
  EXPECT_THROW(losses::joint_central(soft, hard, centers, Tensor::from_vector<double>({1.0})),
               std::invalid_argument);
  Tensor labels = Tensor::from_vector<int64_t>({0, 2, 1, 2});
  auto f = [&](const std::vector<Tensor>& v) {
    return losses::joint_central(v[0], v[1], v[2], labels);
  };
  EXPECT_TRUE(testing::gradcheck(
      f, {testing::leaf({4, 3}, 11), testing::leaf({4, 3}, 12), testing::leaf({3, 3}, 13)}));
}

}  // namespace
}  // namespace he
