// The protocol's small CNN (zoo/backbones.h) against PyTorch: a torch module with the same
// state_dict names is loaded strictly into he::zoo::SmallCNN; output, input gradient, every
// parameter gradient and the BatchNorm running statistics after one training-mode step (dropout
// off in both) are compared. Fixture: tests/nn/fixtures/torch_parity.safetensors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include "torch_parity.h"
#include "zoo/backbones.h"

namespace he::zoo {
namespace {

using he::testing::ParityCase;

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
  // The reference is f64 rounded to f32; the engine's f32 error through the whole net (sums of
  // 3136 and 800 terms, BatchNorm over a batch of 4) stays within the single-layer bound.
  const auto tol = he::testing::parity_tolerance(DType::f32);
  HE_EXPECT_PARITY(y, c, "output", tol);
  ASSERT_EQ(y.shape(), c.get("upstream").shape());
  y.backward(c.get("upstream"));
  HE_EXPECT_PARITY(x.grad(), c, "grad.input", tol);
  const int64_t stride = c.meta["grad_sample_stride"];
  const auto sampled = c.meta["sampled_grads"].get<std::vector<std::string>>();
  for (auto& [name, p] : net.named_parameters()) {
    const std::string key = "grad.param." + name;
    if (std::find(sampled.begin(), sampled.end(), name) == sampled.end()) {
      HE_EXPECT_PARITY(p.grad(), c, key, tol);
      continue;
    }
    Tensor g = p.grad();  // summed in f64 below, so the sums add no rounding of their own
    ASSERT_TRUE(g.defined()) << name;
    HE_EXPECT_PARITY(g.flatten().slice(0, 0, g.numel(), stride), c, key + ".sampled", tol);
    // A sum of n entries, each within tol, is within sqrt(n) tol when their errors are
    // independent: the bound for the row and column sums (fc.0.weight: 3136 and 512 terms).
    auto summed = [&](int64_t n) {
      const double k = std::sqrt(static_cast<double>(n));
      return he::testing::Tolerance{tol.atol * k, tol.rtol * k};
    };
    HE_EXPECT_PARITY(sum(g.to(DType::f64), {1}), c, key + ".row_sum", summed(g.size(1)));
    HE_EXPECT_PARITY(sum(g.to(DType::f64), {0}), c, key + ".col_sum", summed(g.size(0)));
  }
  for (auto& [name, b] : net.named_buffers()) HE_EXPECT_PARITY(b, c, "after." + name, tol);
}

}  // namespace
}  // namespace he::zoo
