// The CPU batch-norm forward's moments (kernels/cpu/norm.cpp) against a double two-pass
// reference, including a channel whose mean is 10^5 times its standard deviation (where
// E[x^2] - mu^2 in float loses every digit) and a constant channel (variance exactly 0).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/norm.h"

namespace he::kernels::cpu {
namespace {

TEST(BatchNormKernel, MomentsMatchTwoPassDoubleEvenUnderALargeMean) {
  const int64_t n = 16, c = 3, s = 49;
  std::mt19937 rng(1);
  std::normal_distribution<float> g;
  std::vector<float> x(n * c * s), y(x.size()), mean(c), invstd(c), var(c);
  const float offset[c] = {0.0f, 1000.0f, 5.0f}, scale[c] = {1.0f, 0.01f, 0.0f};
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t k = 0; k < s; ++k) x[(i * c + ch) * s + k] = offset[ch] + scale[ch] * g(rng);
  batch_norm_train(x.data(), static_cast<const float*>(nullptr),
                   static_cast<const float*>(nullptr), y.data(), mean.data(), invstd.data(),
                   var.data(), n, c, s, 1e-5);
  for (int64_t ch = 0; ch < c; ++ch) {
    double mu = 0, v = 0;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t k = 0; k < s; ++k) mu += x[(i * c + ch) * s + k];
    mu /= n * s;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t k = 0; k < s; ++k) v += std::pow(x[(i * c + ch) * s + k] - mu, 2);
    v /= n * s;
    EXPECT_NEAR(mean[ch], mu, 1e-6 * (1 + std::abs(mu))) << ch;
    EXPECT_NEAR(var[ch], v, 1e-4 * v + 1e-12) << ch;  // relative, and exactly 0 when constant
  }
  EXPECT_EQ(var[2], 0.0f);
}

}  // namespace
}  // namespace he::kernels::cpu
