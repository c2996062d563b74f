// Autograd mechanics: accumulation, no-grad mode, detach, freeing the graph, long chains,
// the custom-function API.
#include <gtest/gtest.h>

#include "gradcheck.h"

namespace he {
namespace {

TEST(Autograd, AccumulatesIntoLeavesAcrossUses) {
  Tensor x = Tensor::from_vector<double>({1, 2, 3});
  x.requires_grad_();
  Tensor y = sum(add(mul(x, x), x));  // dy/dx = 2x + 1
  y.backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{3, 5, 7}));
  sum(x).backward();  // a second graph adds to .grad
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{4, 6, 8}));
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
}

TEST(Autograd, NoGradAndDetachRecordNothing) {
  Tensor x = Tensor::ones({3});
  x.requires_grad_();
  {
    NoGradGuard guard;
    Tensor y = mul(x, 2.0);
    EXPECT_FALSE(y.requires_grad());
    EXPECT_TRUE(y.is_leaf());
  }
  Tensor d = mul(x, 2.0).detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(mul(x, 2.0).requires_grad());
  Tensor c = Tensor::ones({3});
  EXPECT_FALSE(add(c, c).requires_grad());  // no input requires grad: no node
  EXPECT_THROW(sum(add(c, c)).backward(), std::invalid_argument);
}

TEST(Autograd, FreedGraphThrowsUnlessRetained) {
  Tensor x = Tensor::from_vector<double>({0.5, -0.5});
  x.requires_grad_();
  Tensor y = sum(tanh(x));
  y.backward({}, /*retain_graph=*/true);
  y.backward();  // retained: works, and accumulates
  Tensor expected = mul(rsub(1.0, mul(tanh(x), tanh(x))), 2.0).detach();
  EXPECT_NEAR(x.grad().to_vector<double>()[0], expected.to_vector<double>()[0], 1e-12);
  try {
    y.backward();
    FAIL() << "expected a freed-graph error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("retain_graph"), std::string::npos);
  }
}

TEST(Autograd, LongChainDoesNotRecurse) {
  Tensor x = Tensor::from_vector<double>({1.0});
  x.requires_grad_();
  Tensor y = x;
  for (int i = 0; i < 10000; ++i) y = add(y, 0.001);
  sum(y).backward();
  EXPECT_DOUBLE_EQ(x.grad().item<double>(), 1.0);
}

TEST(Autograd, DiamondGraphSumsBothPaths) {
  Tensor x = Tensor::from_vector<double>({2.0});
  x.requires_grad_();
  Tensor a = mul(x, 3.0), b = mul(x, x);
  sum(add(a, b)).backward();  // 3 + 2x = 7
  EXPECT_DOUBLE_EQ(x.grad().item<double>(), 7.0);
}

TEST(Autograd, SharedGradientsAreIndependentCopies) {
  Tensor a = Tensor::ones({3}), b = Tensor::ones({3});
  a.requires_grad_(), b.requires_grad_();
  sum(add(a, b)).backward();
  a.grad().fill_(5);  // in-place change of one .grad must not touch the other
  EXPECT_EQ(b.grad().to_vector<float>(), std::vector<float>(3, 1.f));
}

// The custom-function API: a fused op with a hand-written backward.
Tensor cube(const Tensor& x) {
  Tensor out;
  {
    NoGradGuard g;
    out = mul(mul(x, x), x);
  }
  return attach_grad_fn(out, {x}, "cube", [x](const Tensor& g) {
    return std::vector<Tensor>{mul(g, mul(mul(x, x), 3.0))};
  });
}

TEST(Autograd, CustomFunction) {
  EXPECT_TRUE(testing::gradcheck([](const std::vector<Tensor>& in) { return cube(in[0]); },
                                 {testing::leaf({4}, 9)}));
}

TEST(Autograd, OnlyFloatingTensorsRequireGrad) {
  Tensor i = Tensor::zeros({2}, DType::i64);
  EXPECT_THROW(i.requires_grad_(), std::invalid_argument);
}

}  // namespace
}  // namespace he
