// Attention, transformer and recurrent layers: double-precision finite-difference checks of
// the input and every parameter gradient, plus values worked out by hand for the cells.
#include <gtest/gtest.h>

#include <cmath>

#include "gradcheck.h"
#include "layers/layers.h"

namespace he::nn {
namespace {

using he::testing::gradcheck;
using he::testing::leaf;
using In = std::vector<Tensor>;

// Checks d/d(inputs) and d/d(every parameter) of f(inputs) in f64.
::testing::AssertionResult check_with_params(Module& m, In inputs,
                                             const std::function<Tensor(const In&)>& f) {
  const size_t k = inputs.size();
  for (Tensor& p : m.parameters()) inputs.push_back(p);
  return gradcheck([&](const In& v) { return f(In(v.begin(), v.begin() + k)); }, inputs);
}

::testing::AssertionResult check_layer(Module& m, Tensor x) {
  return check_with_params(m, {x}, [&](const In& v) { return m.forward(v[0]); });
}

TEST(AttentionGrad, SqueezeExcitation) {
  Generator g(1);
  SqueezeExcitation se(6, 3, g, DType::f64);
  EXPECT_TRUE(check_layer(se, leaf({2, 6, 4, 3}, 2)));
  EXPECT_EQ(se.named_parameters()[0].first, "fc1.weight");
}

TEST(AttentionGrad, ChannelSpatialAndCBAM) {
  Generator g(3);
  ChannelAttention ca(8, 2, g, DType::f64);
  EXPECT_TRUE(check_layer(ca, leaf({2, 8, 3, 4}, 4)));
  SpatialAttention sa(g, 3, DType::f64);
  EXPECT_TRUE(check_layer(sa, leaf({2, 5, 4, 4}, 5)));
  CBAM cbam(8, 4, g, 3, DType::f64);
  EXPECT_TRUE(check_layer(cbam, leaf({2, 8, 4, 3}, 6)));
  std::vector<std::string> names;
  for (auto& [n, p] : cbam.named_parameters()) names.push_back(n);
  EXPECT_EQ(names,
            (std::vector<std::string>{"channel_gate.mlp.0.weight", "channel_gate.mlp.0.bias",
                                      "channel_gate.mlp.2.weight", "channel_gate.mlp.2.bias",
                                      "spatial_gate.conv.weight", "spatial_gate.conv.bias"}));
}

TEST(AttentionGrad, SpatialAttentionMapIsAGateInZeroOne) {
  Generator g(7);
  SpatialAttention sa(g, 7);
  Tensor x = Tensor::randn({2, 4, 5, 6}, g);
  Tensor m = sa.attention_map(x);
  EXPECT_EQ(m.shape(), (Shape{2, 1, 5, 6}));
  for (float v : m.to_vector<float>()) EXPECT_TRUE(v > 0 && v < 1);
  EXPECT_THROW(sa.forward(Tensor::zeros({2, 4, 5})), std::invalid_argument);
}

TEST(AttentionGrad, GeluTanh) {
  EXPECT_TRUE(gradcheck([](const In& v) { return gelu_tanh(v[0]); }, {leaf({3, 4}, 8, -3, 3)}));
  auto y = gelu_tanh(Tensor::from_vector<double>({-1, 0, 1, 2})).to_vector<double>();
  const double k = std::sqrt(2 / M_PI);
  for (int i = 0; i < 4; ++i) {
    double x = i - 1.0;
    EXPECT_NEAR(y[i], 0.5 * x * (1 + std::tanh(k * (x + 0.044715 * x * x * x))), 1e-14);
  }
  EXPECT_NEAR(y[2], 0.841191990607, 1e-9);  // PyTorch's gelu(1, approximate='tanh')
}

TEST(AttentionGrad, MultiheadSelfAndCrossAttention) {
  Generator g(9);
  MultiheadAttention mha(6, 2, g, /*batch_first=*/false, DType::f64);
  {  // the default init zeroes the biases; random ones test their gradients properly
    NoGradGuard ng;
    mha.in_proj_bias.copy_(Tensor::uniform({18}, -0.5, 0.5, g, DType::f64));
  }
  EXPECT_TRUE(check_layer(mha, leaf({3, 2, 6}, 10)));  // (L,N,E)
  EXPECT_TRUE(check_with_params(mha,
                                {leaf({3, 2, 6}, 11), leaf({4, 2, 6}, 12), leaf({4, 2, 6}, 13)},
                                [&](const In& v) { return mha.attend(v[0], v[1], v[2]).output; }));
  auto out = mha.attend(leaf({3, 2, 6}, 11), leaf({4, 2, 6}, 12), leaf({4, 2, 6}, 13));
  EXPECT_EQ(out.output.shape(), (Shape{3, 2, 6}));
  EXPECT_EQ(out.weights.shape(), (Shape{2, 3, 4}));
  for (double s : sum(out.weights, {2}).to_vector<double>()) EXPECT_NEAR(s, 1.0, 1e-12);
  std::vector<std::string> names;
  for (auto& [n, p] : mha.named_parameters()) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"in_proj_weight", "in_proj_bias", "out_proj.weight",
                                             "out_proj.bias"}));
}

TEST(AttentionGrad, OneHeadIdentityProjectionsIsSoftmaxAttention) {
  Generator g(1);
  MultiheadAttention mha(2, 1, g, /*batch_first=*/true, DType::f64);
  {
    NoGradGuard ng;
    Tensor eye = Tensor::from_vector<double>({1, 0, 0, 1}, {2, 2});
    mha.in_proj_weight.copy_(concat({eye, eye, eye}, 0));
    mha.out_proj->weight.copy_(eye);
  }
  // Two tokens (1,0) and (0,2): scores q.k / sqrt(2).
  Tensor x = Tensor::from_vector<double>({1, 0, 0, 2}, {1, 2, 2});
  auto y = mha.forward(x).to_vector<double>();
  const double s = std::sqrt(2.0);
  double a0 = std::exp(1 / s) / (std::exp(1 / s) + 1);  // token 0: scores (1, 0)/sqrt2
  double a1 = 1 / (1 + std::exp(4 / s));                // token 1: scores (0, 4)/sqrt2
  EXPECT_NEAR(y[0], a0, 1e-12);
  EXPECT_NEAR(y[1], 2 * (1 - a0), 1e-12);
  EXPECT_NEAR(y[2], a1, 1e-12);
  EXPECT_NEAR(y[3], 2 * (1 - a1), 1e-12);
}

TEST(AttentionGrad, TransformerEncoderBlock) {
  Generator g(14);
  TransformerEncoderBlock block(4, 2, 6, g, DType::f64);
  EXPECT_TRUE(check_layer(block, leaf({2, 3, 4}, 15)));
  EXPECT_EQ(block.named_parameters()[0].first, "ln_1.weight");
  EXPECT_EQ(block.named_parameters().back().first, "mlp.3.bias");
}

TEST(AttentionGrad, ViTBackbone) {
  ViTConfig c;
  c.image_size = 8, c.patch_size = 4, c.hidden_dim = 4, c.num_layers = 2, c.num_heads = 2;
  c.mlp_dim = 6;
  Generator g(16);
  ViT vit(c, g, DType::f64);
  {
    NoGradGuard ng;  // a non-zero class token so its gradient is not a special case
    vit.class_token.copy_(Tensor::uniform({1, 1, 4}, -1, 1, g, DType::f64));
  }
  EXPECT_TRUE(check_layer(vit, leaf({2, 1, 8, 8}, 17)));
  EXPECT_EQ(vit.forward(Tensor::zeros({3, 1, 8, 8}, DType::f64)).shape(), (Shape{3, 4}));
  std::map<std::string, Shape> shapes;
  for (auto& [n, p] : vit.state_dict()) shapes[n] = p.shape();
  EXPECT_EQ(shapes.at("conv_proj.weight"), (Shape{4, 1, 4, 4}));
  EXPECT_EQ(shapes.at("class_token"), (Shape{1, 1, 4}));
  EXPECT_EQ(shapes.at("encoder.pos_embedding"), (Shape{1, 5, 4}));
  EXPECT_EQ(shapes.at("encoder.layers.encoder_layer_1.self_attention.in_proj_weight"),
            (Shape{12, 4}));
  EXPECT_EQ(shapes.at("encoder.ln.weight"), (Shape{4}));
}

TEST(RecurrentGrad, LstmTwoLayersBatchFirstWithInitialState) {
  Generator g(18);
  LSTM lstm(3, 4, g, 2, /*batch_first=*/true, true, DType::f64);
  EXPECT_TRUE(check_layer(lstm, leaf({2, 5, 3}, 19)));
  auto f = [&](const In& v) {
    RecurrentOut o = lstm.run(v[0], v[1], v[2]);
    return concat({o.output.flatten(), o.h_n.flatten(), o.c_n.flatten()}, 0);
  };
  EXPECT_TRUE(
      check_with_params(lstm, {leaf({2, 4, 3}, 20), leaf({2, 2, 4}, 21), leaf({2, 2, 4}, 22)}, f));
  std::vector<std::string> names;
  for (auto& [n, p] : lstm.named_parameters()) names.push_back(n + shape_to_string(p.shape()));
  EXPECT_EQ(names,
            (std::vector<std::string>{"weight_ih_l0[16, 3]", "weight_hh_l0[16, 4]",
                                      "bias_ih_l0[16]", "bias_hh_l0[16]", "weight_ih_l1[16, 4]",
                                      "weight_hh_l1[16, 4]", "bias_ih_l1[16]", "bias_hh_l1[16]"}));
}

TEST(RecurrentGrad, GruTwoLayersSequenceFirst) {
  Generator g(23);
  GRU gru(3, 4, g, 2, /*batch_first=*/false, true, DType::f64);
  EXPECT_TRUE(check_layer(gru, leaf({5, 2, 3}, 24)));
  auto f = [&](const In& v) {
    RecurrentOut o = gru.run(v[0], v[1]);
    return concat({o.output.flatten(), o.h_n.flatten()}, 0);
  };
  EXPECT_TRUE(check_with_params(gru, {leaf({3, 2, 3}, 25), leaf({2, 2, 4}, 26)}, f));
  EXPECT_EQ(gru.named_parameters()[1].second.shape(), (Shape{12, 4}));
  EXPECT_FALSE(gru.run(leaf({3, 2, 3}, 1)).c_n.defined());
}

double sigm(double v) { return 1 / (1 + std::exp(-v)); }

TEST(RecurrentGrad, LstmCellGateOrderByHand) {
  // One unit, one input: gates i, f, g, o get pre-activations w*x + u*h + b with distinct w.
  Tensor x = Tensor::from_vector<double>({0.5}, {1, 1}),
         h = Tensor::from_vector<double>({-0.3}, {1, 1});
  Tensor c = Tensor::from_vector<double>({0.8}, {1, 1});
  Tensor w = Tensor::from_vector<double>({1, 2, 3, 4}, {4, 1});
  Tensor u = Tensor::from_vector<double>({-1, 0.5, 0.25, 2}, {4, 1});
  Tensor b = Tensor::from_vector<double>({0.1, 0.2, 0.3, 0.4}, {4});
  auto [h1, c1] = lstm_cell(x, h, c, w, u, b, Tensor());
  double p[4];
  const double wv[4] = {1, 2, 3, 4}, uv[4] = {-1, 0.5, 0.25, 2}, bv[4] = {0.1, 0.2, 0.3, 0.4};
  for (int k = 0; k < 4; ++k) p[k] = wv[k] * 0.5 + uv[k] * -0.3 + bv[k];
  const double cn = sigm(p[1]) * 0.8 + sigm(p[0]) * std::tanh(p[2]);
  EXPECT_NEAR(c1.item<double>(), cn, 1e-14);
  EXPECT_NEAR(h1.item<double>(), sigm(p[3]) * std::tanh(cn), 1e-14);
}

TEST(RecurrentGrad, GruCellGateOrderByHand) {
  Tensor x = Tensor::from_vector<double>({0.5}, {1, 1}),
         h = Tensor::from_vector<double>({-0.3}, {1, 1});
  Tensor w = Tensor::from_vector<double>({1, 2, 3}, {3, 1});
  Tensor u = Tensor::from_vector<double>({-1, 0.5, 0.25}, {3, 1});
  Tensor bi = Tensor::from_vector<double>({0.1, 0.2, 0.3}, {3});
  Tensor bh = Tensor::from_vector<double>({-0.2, 0.1, 0.7}, {3});
  const double r = sigm(0.5 + 0.3 + 0.1 - 0.2), z = sigm(1.0 - 0.15 + 0.2 + 0.1);
  const double n = std::tanh(1.5 + 0.3 + r * (-0.075 + 0.7));
  EXPECT_NEAR(gru_cell(x, h, w, u, bi, bh).item<double>(), (1 - z) * n + z * -0.3, 1e-14);
}

TEST(RecurrentGrad, BadShapesNameTheLayer) {
  Generator g(1);
  LSTM lstm(3, 4, g);
  try {
    lstm.forward(Tensor::zeros({2, 5, 2}));
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("LSTM"), std::string::npos) << e.what();
  }
  EXPECT_THROW(lstm.run(Tensor::zeros({2, 5, 3}), Tensor::zeros({2, 5, 4})), std::invalid_argument);
}

}  // namespace
}  // namespace he::nn
