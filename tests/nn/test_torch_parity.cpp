// Layers, activations and generic losses against PyTorch: the forward output, the input gradient
// and every parameter gradient for a stored upstream gradient, from the fixture that
// tests/nn/torch_parity.py writes (hyperparameters read from its metadata). Parameters go in
// through load_state_dict with PyTorch's names, strict, so the names are tested too.
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "layers/layers.h"
#include "losses/generic.h"
#include "torch_parity.h"

namespace he::nn {
namespace {

using he::testing::parity_tolerance;
using he::testing::ParityCase;

// Loads the case's state_dict into m, runs forward and backward with the stored upstream
// gradient, and compares output, input gradient, parameter gradients and buffers after.
void check_module(Module& m, const ParityCase& c, bool train = true) {
  ASSERT_NO_THROW(m.load_state_dict(c.group("param"), /*strict=*/true));
  m.train(train);
  Tensor x = c.get("input");
  const bool input_grad = c.has("grad.input");
  if (input_grad) x.requires_grad_();
  Tensor y = m.forward(x);
  const auto tol = parity_tolerance(c.get("output").dtype());
  HE_EXPECT_PARITY(y, c, "output", tol);
  ASSERT_EQ(y.shape(), c.get("upstream").shape());
  y.backward(c.get("upstream"));
  if (input_grad) HE_EXPECT_PARITY(x.grad(), c, "grad.input", tol);
  auto grads = c.group("grad.param");
  EXPECT_EQ(grads.size(), m.named_parameters().size());
  for (auto& [name, p] : m.named_parameters())
    HE_EXPECT_PARITY(p.grad(), c, "grad.param." + name, tol);
  for (auto& [name, b] : m.named_buffers())
    if (c.has("after." + name)) HE_EXPECT_PARITY(b, c, "after." + name, tol);
}

// y = f(x) for a parameter-free function.
void check_function(const std::string& name, const std::function<Tensor(const Tensor&)>& f) {
  ParityCase c(name);
  Tensor x = c.get("input").requires_grad_();
  Tensor y = f(x);
  const auto tol = parity_tolerance(DType::f32);
  HE_EXPECT_PARITY(y, c, "output", tol);
  ASSERT_EQ(y.shape(), c.get("upstream").shape());
  y.backward(c.get("upstream"));
  HE_EXPECT_PARITY(x.grad(), c, "grad.input", tol);
}

// L = loss(x, target), upstream a 0-D scalar.
void check_loss(const std::string& name,
                const std::function<Tensor(const Tensor&, const Tensor&)>& f) {
  ParityCase c(name);
  Tensor x = c.get("input").requires_grad_();
  Tensor y = f(x, c.get("target"));
  const auto tol = parity_tolerance(DType::f32);
  HE_EXPECT_PARITY(y, c, "output", tol);
  ASSERT_EQ(y.dim(), 0);
  y.backward(c.get("upstream"));
  HE_EXPECT_PARITY(x.grad(), c, "grad.input", tol);
}

DType dtype_of(const ParityCase& c) { return c.get("input").dtype(); }

Conv2dOptions conv_options(const nlohmann::json& m) {
  Conv2dOptions o;
  o.stride_h = o.stride_w = m.value("stride", 1);
  o.pad_h = o.pad_w = m.value("padding", 0);
  o.dil_h = o.dil_w = m.value("dilation", 1);
  o.groups = m.value("groups", 1);
  o.out_pad_h = o.out_pad_w = m.value("output_padding", 0);
  return o;
}

// ---- layers ----

void check_linear(const std::string& name) {
  ParityCase c(name);
  Generator g(1);
  Linear l(c.meta["in"], c.meta["out"], g, true, dtype_of(c));
  check_module(l, c);
}
TEST(TorchParity, Linear) { check_linear("linear"); }
TEST(TorchParity, LinearF64) { check_linear("linear_f64"); }

void check_conv2d(const std::string& name) {
  ParityCase c(name);
  Generator g(1);
  Conv2d conv(c.meta["in"], c.meta["out"], c.meta["kernel"], g, conv_options(c.meta), true,
              dtype_of(c));
  check_module(conv, c);
}
TEST(TorchParity, Conv2dStride2Pad1Groups2) { check_conv2d("conv2d_s2_p1_g2"); }
TEST(TorchParity, Conv2dStride2Pad1Groups2F64) { check_conv2d("conv2d_s2_p1_g2_f64"); }
TEST(TorchParity, Conv2dDilation2) { check_conv2d("conv2d_dil2"); }

TEST(TorchParity, ConvTranspose2d) {
  ParityCase c("conv_transpose2d");
  Generator g(1);
  ConvTranspose2d conv(c.meta["in"], c.meta["out"], c.meta["kernel"], g, conv_options(c.meta));
  check_module(conv, c);
}

void check_batchnorm(const std::string& name) {
  ParityCase c(name);
  BatchNorm bn(c.meta["channels"], c.meta["eps"], c.meta["momentum"]);
  check_module(bn, c, c.meta["train"]);
}
TEST(TorchParity, BatchNorm2dTrain) { check_batchnorm("batchnorm2d_train"); }
TEST(TorchParity, BatchNorm2dEval) { check_batchnorm("batchnorm2d_eval"); }
TEST(TorchParity, BatchNorm1dTrain) { check_batchnorm("batchnorm1d_train"); }

TEST(TorchParity, LayerNorm) {
  ParityCase c("layernorm");
  LayerNorm ln(c.meta["shape"].get<Shape>(), c.meta["eps"]);
  check_module(ln, c);
}

TEST(TorchParity, MaxPool2dKernel2) {
  ParityCase c("maxpool2d_k2");
  MaxPool2d pool(c.meta["kernel"], c.meta["stride"], c.meta["padding"]);
  check_module(pool, c);
}
TEST(TorchParity, MaxPool2dKernel3Stride2Pad1) {
  ParityCase c("maxpool2d_k3_s2_p1");
  MaxPool2d pool(c.meta["kernel"], c.meta["stride"], c.meta["padding"]);
  check_module(pool, c);
}

TEST(TorchParity, MaxPool2dTies) {
  ParityCase c("maxpool2d_ties");
  MaxPool2d pool(c.meta["kernel"], c.meta["stride"], c.meta["padding"]);
  check_module(pool, c);
}

TEST(TorchParity, AvgPool2dKernel3Stride2Pad1) {
  ParityCase c("avgpool2d_k3_s2_p1");
  ASSERT_TRUE(c.meta["count_include_pad"].get<bool>());  // the engine's only mode
  AvgPool2d pool(c.meta["kernel"], c.meta["stride"], c.meta["padding"]);
  check_module(pool, c);
}

TEST(TorchParity, AdaptiveAvgPool2d) {
  ParityCase c("adaptive_avgpool2d");
  AdaptiveAvgPool2d pool(c.meta["out_h"], c.meta["out_w"]);
  check_module(pool, c);
}

TEST(TorchParity, Embedding) {
  ParityCase c("embedding");
  Generator g(1);
  Embedding e(c.meta["num"], c.meta["dim"], g);
  check_module(e, c);
}

TEST(TorchParity, GeM) {
  ParityCase c("gem");
  GeM gem(1.0, c.meta["eps"]);  // p comes from the state_dict
  check_module(gem, c);
}

// ---- activations and softmax ----

TEST(TorchParity, ReLU) {
  check_function("relu", [](const Tensor& x) { return ReLU()->forward(x); });
}
TEST(TorchParity, Tanh) {
  check_function("tanh", [](const Tensor& x) { return Tanh()->forward(x); });
}
TEST(TorchParity, Sigmoid) {
  check_function("sigmoid", [](const Tensor& x) { return Sigmoid()->forward(x); });
}
TEST(TorchParity, LeakyReLU) {
  const double slope = ParityCase("leaky_relu").meta["slope"];
  check_function("leaky_relu", [=](const Tensor& x) { return LeakyReLU(slope)->forward(x); });
}
TEST(TorchParity, ELU) {
  const double alpha = ParityCase("elu").meta["alpha"];
  check_function("elu", [=](const Tensor& x) { return ELU(alpha)->forward(x); });
}
TEST(TorchParity, Softplus) {
  const auto m = ParityCase("softplus").meta;
  check_function("softplus",
                 [&](const Tensor& x) { return softplus(x, m["beta"], m["threshold"]); });
}
TEST(TorchParity, Softmax) {
  const int64_t dim = ParityCase("softmax").meta["dim"];
  check_function("softmax", [=](const Tensor& x) { return softmax(x, dim); });
}
TEST(TorchParity, LogSoftmax) {
  const int64_t dim = ParityCase("log_softmax").meta["dim"];
  check_function("log_softmax", [=](const Tensor& x) { return log_softmax(x, dim); });
}

// ---- generic losses ----

TEST(TorchParity, CrossEntropy) {
  check_loss("cross_entropy",
             [](const Tensor& x, const Tensor& y) { return losses::cross_entropy(x, y); });
}
TEST(TorchParity, CrossEntropyLabelSmoothing) {
  const double eps = ParityCase("cross_entropy_ls").meta["label_smoothing"];
  check_loss("cross_entropy_ls",
             [=](const Tensor& x, const Tensor& y) { return losses::cross_entropy(x, y, eps); });
}
TEST(TorchParity, BceWithLogits) { check_loss("bce_with_logits", losses::bce_with_logits); }
TEST(TorchParity, Mse) { check_loss("mse", losses::mse); }
TEST(TorchParity, L1) { check_loss("l1", losses::l1); }
TEST(TorchParity, SmoothL1) {
  const double beta = ParityCase("smooth_l1").meta["beta"];
  check_loss("smooth_l1",
             [=](const Tensor& x, const Tensor& y) { return losses::smooth_l1(x, y, beta); });
}

}  // namespace
}  // namespace he::nn
