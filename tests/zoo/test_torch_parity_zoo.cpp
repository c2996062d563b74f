// The protocol's small CNN (zoo/backbones.h) against PyTorch: a torch module with the same
// state_dict names is loaded strictly into he::zoo::SmallCNN; output, input gradient, every
// parameter gradient and the BatchNorm running statistics after one training-mode step (dropout
// off in both) are compared. Fixture: tests/nn/fixtures/torch_parity.safetensors.
#include <gtest/gtest.h>

#include <memory>

#include "torch_parity.h"
#include "zoo/backbones.h"

namespace he::zoo {
namespace {

using he::testing::ParityCase;
using he::testing::Tolerance;

TEST(TorchParity, SmallCnnTrainStep) {
  ParityCase c("small_cnn");
  Generator init(1);
  SmallCNN net(c.meta["out"], init, std::make_shared<Generator>(2));

  // fc.0.weight and features.4.weight are generated, not stored (see torch_parity.py).
  auto state = c.group("param");
  for (auto& [name, g] : c.meta["generated"].items())
    state[name] = he::testing::hashed_uniform(g["shape"].get<Shape>(), g["lo"], g["hi"], g["salt"]);
  ASSERT_NO_THROW(net.load_state_dict(state, /*strict=*/true));
  net.train();
  net.fc->at(2)->eval();  // the Dropout: PyTorch's reference ran it in eval mode too

  Tensor x = c.get("input").requires_grad_();
  Tensor y = net.forward(x);
  y.backward(c.get("upstream"));

  // Three conv/fc layers deep, BatchNorm over a batch of 4, sums over 3136 and 800 terms: the
  // f32 rounding grows past the single-layer bound, so gradients get rtol 1e-3.
  const Tolerance tol{1e-4, 1e-4}, grad_tol{1e-4, 1e-3};
  HE_EXPECT_PARITY(y, c, "output", tol);
  HE_EXPECT_PARITY(x.grad(), c, "grad.input", grad_tol);
  const int64_t stride = c.meta["grad_sample_stride"];
  const auto sampled = c.meta["sampled_grads"].get<std::vector<std::string>>();
  for (auto& [name, p] : net.named_parameters()) {
    const std::string key = "grad.param." + name;
    if (std::find(sampled.begin(), sampled.end(), name) == sampled.end()) {
      HE_EXPECT_PARITY(p.grad(), c, key, grad_tol);
      continue;
    }
    Tensor g = p.grad();
    ASSERT_TRUE(g.defined()) << name;
    HE_EXPECT_PARITY(g.flatten().slice(0, 0, g.numel(), stride), c, key + ".sampled", grad_tol);
    HE_EXPECT_PARITY(sum(g, {1}), c, key + ".row_sum", grad_tol);
    HE_EXPECT_PARITY(sum(g, {0}), c, key + ".col_sum", grad_tol);
  }
  for (auto& [name, b] : net.named_buffers()) HE_EXPECT_PARITY(b, c, "after." + name, tol);
}

}  // namespace
}  // namespace he::zoo
