// Layers: gradient checks in f64 (input and every parameter), and the module system.
#include <gtest/gtest.h>

#include "gradcheck.h"
#include "layers/layers.h"

namespace he::nn {
namespace {

using he::testing::gradcheck;
using he::testing::leaf;

// Checks d/d(input) and d/d(every parameter) of a layer in f64.
::testing::AssertionResult check_layer(Module& m, Tensor x) {
  std::vector<Tensor> in{x};
  for (Tensor& p : m.parameters()) in.push_back(p);
  return gradcheck([&m](const std::vector<Tensor>& v) { return m.forward(v[0]); }, in);
}

TEST(LayerGrad, Linear) {
  Generator g(1);
  Linear l(5, 3, g, true, DType::f64);
  EXPECT_TRUE(check_layer(l, leaf({4, 5}, 2)));
}

TEST(LayerGrad, Conv2dStridePaddingGroups) {
  Generator g(1);
  Conv2dOptions o;
  o.stride_h = o.stride_w = 2, o.pad_h = o.pad_w = 1, o.groups = 2;
  Conv2d c(4, 6, 3, g, o, true, DType::f64);
  EXPECT_TRUE(check_layer(c, leaf({2, 4, 6, 5}, 2)));
}

TEST(LayerGrad, ConvTranspose2d) {
  Generator g(1);
  Conv2dOptions o;
  o.stride_h = o.stride_w = 2, o.pad_h = o.pad_w = 1, o.out_pad_h = o.out_pad_w = 1;
  ConvTranspose2d c(3, 2, 3, g, o, true, DType::f64);
  Tensor x = leaf({2, 3, 3, 4}, 2);
  EXPECT_EQ(c.forward(x).shape(), (Shape{2, 2, 6, 8}));
  EXPECT_TRUE(check_layer(c, x));
}

TEST(LayerGrad, BatchNormTrainMode) {
  BatchNorm bn(3, 1e-5, 0.1, DType::f64);
  Generator g(4);
  bn.weight.copy_(Tensor::uniform({3}, 0.5, 1.5, g, DType::f64));
  bn.bias.copy_(Tensor::uniform({3}, -0.5, 0.5, g, DType::f64));
  EXPECT_TRUE(check_layer(bn, leaf({4, 3, 2, 2}, 2)));
  EXPECT_TRUE(check_layer(bn, leaf({6, 3}, 3)));  // BatchNorm1d form
}

TEST(LayerGrad, LayerNormGemEmbeddingL2) {
  LayerNorm ln({4}, 1e-5, DType::f64);
  EXPECT_TRUE(check_layer(ln, leaf({3, 4}, 2)));
  GeM gem(3.0, 1e-6, DType::f64);
  EXPECT_TRUE(check_layer(gem, leaf({2, 3, 3, 3}, 2, 0.1, 1.0)));
  L2Normalize l2;
  EXPECT_TRUE(check_layer(l2, leaf({3, 5}, 2)));
  Generator g(1);
  Embedding e(6, 3, g, DType::f64);
  Tensor ids = Tensor::from_vector<int64_t>({5, 0, 5, 2}, {2, 2});
  EXPECT_TRUE(gradcheck([&](const std::vector<Tensor>&) { return e.forward(ids); }, {e.weight}));
  EXPECT_EQ(e.forward(ids).shape(), (Shape{2, 2, 3}));
}

TEST(LayerGrad, PoolingAndActivations) {
  Sequential s({std::make_shared<MaxPool2d>(2), ReLU(), std::make_shared<AvgPool2d>(2), Tanh(),
                std::make_shared<AdaptiveAvgPool2d>(1, 1), std::make_shared<Flatten>(), Sigmoid(),
                LeakyReLU(0.1), ELU(0.5)});
  EXPECT_TRUE(check_layer(s, leaf({2, 3, 8, 8}, 2)));
}

TEST(HashLayers, StochasticBinaryGradientRule) {
  auto gen = std::make_shared<Generator>(5);
  StochasticBinary sb(gen);
  Tensor x = Tensor::from_vector<double>({-2, 0, 1, 3});
  x.requires_grad_();
  Tensor b = sb.forward(x);
  for (double v : b.to_vector<double>()) EXPECT_TRUE(v == 0 || v == 1);
  Tensor g = Tensor::from_vector<double>({1, 2, 3, 4});
  sum(mul(b, g)).backward();
  auto xv = x.detach().to_vector<double>(), gv = g.to_vector<double>(),
       dx = x.grad().to_vector<double>();
  for (int i = 0; i < 4; ++i) {
    double p = 1 / (1 + std::exp(-xv[i]));
    EXPECT_NEAR(dx[i], gv[i] * p * (1 - p), 1e-12);
  }
  sb.eval();
  EXPECT_EQ(sb.forward(x).to_vector<double>(), (std::vector<double>{0, 0, 1, 1}));  // 1[p > 0.5]
}

TEST(Module, StateDictNamesFollowPyTorch) {
  Generator g(1);
  auto bn = std::make_shared<BatchNorm>(8);
  Sequential net({std::make_shared<Conv2d>(1, 8, 3, g), bn, ReLU(), std::make_shared<Flatten>(),
                  std::make_shared<Linear>(8, 2, g)});
  std::vector<std::string> names;
  for (auto& [n, t] : net.state_dict()) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias",
                                             "1.running_mean", "1.running_var",
                                             "1.num_batches_tracked", "4.weight", "4.bias"}));
  EXPECT_EQ(net.parameters().size(), 6u);
  EXPECT_EQ(net.num_parameters(), 8 * 9 + 8 + 8 + 8 + 16 + 2);
  net.eval();
  EXPECT_FALSE(bn->is_training());
}

TEST(Module, LoadStateDictStrictAndReport) {
  Generator g1(1), g2(2);
  Linear a(3, 2, g1), b(3, 2, g2);
  std::map<std::string, Tensor> sd;
  for (auto& [n, t] : a.state_dict()) sd[n] = t.clone();
  b.load_state_dict(sd);
  EXPECT_EQ(b.weight.to_vector<float>(), a.weight.to_vector<float>());
  sd["extra"] = Tensor::zeros({1});
  sd["weight"] = Tensor::zeros({5, 5});
  sd.erase("bias");
  try {
    b.load_state_dict(sd, true);
    FAIL();
  } catch (const std::runtime_error& e) {
    std::string m = e.what();
    EXPECT_NE(m.find("missing keys: bias"), std::string::npos) << m;
    EXPECT_NE(m.find("unexpected keys: extra"), std::string::npos) << m;
    EXPECT_NE(m.find("weight: checkpoint [5, 5] vs model [2, 3]"), std::string::npos) << m;
  }
  LoadReport r = b.load_state_dict(sd, false);
  EXPECT_EQ(r.missing.size(), 1u);
  EXPECT_EQ(r.unexpected.size(), 1u);
}

TEST(Module, BatchNormRunningStatisticsAndEval) {
  BatchNorm bn(2, 1e-5, 0.1, DType::f64);
  Tensor x = Tensor::from_vector<double>({1, 10, 3, 20, 5, 30}, {3, 2});
  Tensor y = bn.forward(x);
  // channel 0: mean 3, biased var 8/3; unbiased 4.
  EXPECT_NEAR(bn.running_mean.to_vector<double>()[0], 0.3, 1e-12);
  EXPECT_NEAR(bn.running_var.to_vector<double>()[0], 0.9 + 0.1 * 4, 1e-12);
  EXPECT_NEAR(y.to_vector<double>()[0], (1 - 3) / std::sqrt(8.0 / 3 + 1e-5), 1e-9);
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 1);
  bn.eval();
  Tensor ye = bn.forward(x);
  EXPECT_NEAR(ye.to_vector<double>()[0], (1 - 0.3) / std::sqrt(1.3 + 1e-5), 1e-9);
}

}  // namespace
}  // namespace he::nn

namespace he::nn {
namespace {
TEST(LayerGrad, BatchNormEvalMode) {
  BatchNorm bn(3, 1e-5, 0.1, DType::f64);
  Generator g(4);
  bn.running_mean.copy_(Tensor::uniform({3}, -0.5, 0.5, g, DType::f64));
  bn.running_var.copy_(Tensor::uniform({3}, 0.5, 1.5, g, DType::f64));
  bn.weight.copy_(Tensor::uniform({3}, 0.5, 1.5, g, DType::f64));
  bn.eval();
  EXPECT_TRUE(check_layer(bn, leaf({4, 3, 2, 2}, 2)));
}
}  // namespace
}  // namespace he::nn
