// Values of the fused hash ops and of convolution against direct loops.
#include <gtest/gtest.h>

#include "engine/engine.h"

namespace he {
namespace {

TEST(HashOps, SignSteCodesPackedBitsAndStraightThrough) {
  Tensor h = Tensor::from_vector<float>({0.5f, -0.2f, 0.f, -3.f, 1.5f, 0.9f, -0.1f, 2.f}, {2, 4});
  h.requires_grad_();
  Tensor codes = sign_ste(h, SteGrad::Identity);
  EXPECT_EQ(codes.to_vector<float>(),
            (std::vector<float>{1, -1, 1, -1, 1, 1, -1, 1}));  // sign(0) = +1
  EXPECT_EQ(packed_signs(h).to_vector<uint64_t>(), (std::vector<uint64_t>{0b0101, 0b1011}));
  // quantisation error: mean of (h - b)^2
  double e = (0.25 + 0.64 + 1 + 4 + 0.25 + 0.01 + 0.81 + 1) / 8;
  EXPECT_NEAR(quant_error(h).item<float>(), e, 1e-6);
  Tensor g = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6, 7, 8}, {2, 4});
  sum(mul(codes, g)).backward();
  EXPECT_EQ(h.grad().to_vector<float>(), g.to_vector<float>());  // identity
  h.zero_grad();
  sum(mul(sign_ste(h, SteGrad::Clipped), g)).backward();
  EXPECT_EQ(h.grad().to_vector<float>(), (std::vector<float>{1, 2, 3, 0, 0, 6, 7, 0}));
}

TEST(HashOps, PackedBitsCoverLongCodes) {
  Generator gen(1);
  Tensor h = Tensor::randn({3, 130}, gen);
  Tensor packed = packed_signs(h);
  ASSERT_EQ(packed.shape(), (Shape{3, 3}));
  EXPECT_FALSE(packed.requires_grad());
  auto hv = h.to_vector<float>();
  auto pv = packed.to_vector<uint64_t>();
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 130; ++j)
      ASSERT_EQ((pv[i * 3 + j / 64] >> (j % 64)) & 1, hv[i * 130 + j] >= 0 ? 1u : 0u);
  EXPECT_EQ(pv[2] >> 2, 0u);  // bits past the code length stay zero
}

TEST(HashOps, CodeInputsMustBeMatrices) {
  Tensor h = Tensor::zeros({2, 3, 4});
  for (auto op : {+[](const Tensor& x) { return sign_ste(x); },
                  +[](const Tensor& x) { return packed_signs(x); },
                  +[](const Tensor& x) { return quant_error(x); }}) {
    try {
      op(h);
      ADD_FAILURE() << "a 3-D h was accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("expected h (N,bits), got [2, 3, 4]"), std::string::npos)
          << e.what();
    }
  }
}

TEST(HashOps, ContinuationIsTanhOfBetaX) {
  Tensor x = Tensor::from_vector<double>({-1, 0, 0.5});
  auto y = continuation(x, 2.0).to_vector<double>();
  for (int i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(y[i], std::tanh(2.0 * x.to_vector<double>()[i]));
}

TEST(Conv, MatchesDirectLoops) {
  Generator gen(2);
  const int N = 2, C = 4, H = 9, W = 8, O = 6, K = 3, G = 2, S = 2, P = 1;
  Tensor x = Tensor::randn({N, C, H, W}, gen, DType::f64),
         w = Tensor::randn({O, C / G, K, K}, gen, DType::f64);
  Tensor b = Tensor::randn({O}, gen, DType::f64);
  Tensor y = conv2d(x, w, b, {.stride_h = S, .stride_w = S, .pad_h = P, .pad_w = P, .groups = G});
  const int OH = (H + 2 * P - K) / S + 1, OW = (W + 2 * P - K) / S + 1;
  ASSERT_EQ(y.shape(), (Shape{N, O, OH, OW}));
  auto xv = x.to_vector<double>(), wv = w.to_vector<double>(), bv = b.to_vector<double>(),
       yv = y.to_vector<double>();
  for (int n = 0; n < N; ++n)
    for (int o = 0; o < O; ++o)
      for (int i = 0; i < OH; ++i)
        for (int j = 0; j < OW; ++j) {
          double acc = bv[o];
          int g = o / (O / G);
          for (int c = 0; c < C / G; ++c)
            for (int ki = 0; ki < K; ++ki)
              for (int kj = 0; kj < K; ++kj) {
                int ih = i * S - P + ki, iw = j * S - P + kj;
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                acc += xv[((n * C + g * (C / G) + c) * H + ih) * W + iw] *
                       wv[((o * (C / G) + c) * K + ki) * K + kj];
              }
          ASSERT_NEAR(yv[((n * O + o) * OH + i) * OW + j], acc, 1e-10);
        }
}

// conv2d runs batch-parallel (images >= threads) or batched (fewer images than threads);
// both paths must give the same output and gradients, grouped, strided and dilated.
TEST(Conv, BatchParallelAndBatchedPathsAgree) {
  const int saved = num_threads();
  auto run = [](int threads) {
    set_num_threads(threads);
    Generator gen(5);
    Tensor x = Tensor::randn({3, 4, 9, 8}, gen, DType::f64).requires_grad_(),
           w = Tensor::randn({6, 2, 3, 2}, gen, DType::f64).requires_grad_(),
           b = Tensor::randn({6}, gen, DType::f64).requires_grad_();
    Tensor y = conv2d(x, w, b, {.stride_h = 2, .pad_h = 1, .pad_w = 1, .dil_w = 2, .groups = 2});
    Tensor g = Tensor::randn(y.shape(), gen, DType::f64);
    sum(mul(y, g)).backward();
    return std::vector<std::vector<double>>{y.to_vector<double>(), x.grad().to_vector<double>(),
                                            w.grad().to_vector<double>(),
                                            b.grad().to_vector<double>()};
  };
  const auto per_image = run(1), batched = run(8);
  set_num_threads(saved);
  for (size_t t = 0; t < per_image.size(); ++t) {
    ASSERT_EQ(per_image[t].size(), batched[t].size());
    for (size_t i = 0; i < per_image[t].size(); ++i)
      ASSERT_NEAR(per_image[t][i], batched[t][i], 1e-10) << "tensor " << t << " element " << i;
  }
}

TEST(Pool, MaxAndAverageValues) {
  Tensor x = Tensor::arange(0, 16).reshape({1, 1, 4, 4});
  EXPECT_EQ(max_pool2d(x, 2).to_vector<float>(), (std::vector<float>{5, 7, 13, 15}));
  EXPECT_EQ(avg_pool2d(x, 2).to_vector<float>(), (std::vector<float>{2.5, 4.5, 10.5, 12.5}));
  EXPECT_EQ(adaptive_avg_pool2d(x, 1, 1).to_vector<float>(), (std::vector<float>{7.5}));
}

}  // namespace
}  // namespace he
