// The CPU batch-norm forward's moments (kernels/cpu/norm.cpp) against a double two-pass
// reference, including a channel whose mean is 10^5 times its standard deviation (where
// E[x^2] - mu^2 in float loses every digit) and a constant channel (variance exactly 0).
// The op that fuses batch norm with the 2x2 max pool after it equals the two ops in turn bit
// for bit: output, statistics and every gradient, f32 and f64, odd sizes, with and without
// the affine parameters.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "engine/engine.h"
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
  batch_norm_train(x.data(), static_cast<const float*>(nullptr), static_cast<const float*>(nullptr),
                   y.data(), mean.data(), invstd.data(), var.data(), n, c, s, 1e-5);
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

template <class T>
std::vector<T> values(const Tensor& t) {
  return t.defined() ? t.contiguous().to_vector<T>() : std::vector<T>{};
}

template <class T>
void expect_fused_equals_unfused(DType dt, int64_t h, int64_t w, bool affine) {
  Generator g(static_cast<uint64_t>(h * 10 + w));
  auto leaf = [&](Shape s) { return Tensor::randn(s, g).to(dt).requires_grad_(true); };
  Tensor x = leaf({5, 3, h, w});
  Tensor wt = affine ? leaf({3}) : Tensor(), b = affine ? leaf({3}) : Tensor();
  Tensor gy = Tensor::randn({5, 3, h / 2, w / 2}, g).to(dt);
  BatchNormOut fused = batch_norm_max_pool2x2_train(x, wt, b, 1e-5);
  fused.y.backward(gy);
  const std::vector<T> dx = values<T>(x.grad()), dw = affine ? values<T>(wt.grad()) : dx,
                       db = affine ? values<T>(b.grad()) : dx;
  x.zero_grad();
  if (affine) wt.zero_grad(), b.zero_grad();
  BatchNormOut plain = batch_norm_train(x, wt, b, 1e-5);
  Tensor y = max_pool2d(plain.y, 2);
  y.backward(gy);
  const std::string what = std::to_string(h) + "x" + std::to_string(w);
  EXPECT_EQ(values<T>(fused.y), values<T>(y)) << what;
  EXPECT_EQ(values<T>(fused.mean), values<T>(plain.mean)) << what;
  EXPECT_EQ(values<T>(fused.var), values<T>(plain.var)) << what;
  EXPECT_EQ(dx, values<T>(x.grad())) << what;
  if (affine) {
    EXPECT_EQ(dw, values<T>(wt.grad())) << what;
    EXPECT_EQ(db, values<T>(b.grad())) << what;
  }
}

TEST(BatchNormMaxPool, FusedEqualsTheTwoOpsBitForBit) {
  for (auto [h, w] : {std::pair<int64_t, int64_t>{28, 28}, {14, 14}, {5, 7}, {2, 3}})
    for (bool affine : {true, false}) {
      expect_fused_equals_unfused<float>(DType::f32, h, w, affine);
      expect_fused_equals_unfused<double>(DType::f64, h, w, affine);
    }
}

}  // namespace
}  // namespace he::kernels::cpu
