// End to end: a 2-layer MLP made of engine ops, trained by a hand-written SGD step, fits a
// non-linear problem (y = sin(3 x0) * x1): the loss must fall by 10x.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/engine.h"

namespace he {
namespace {

TEST(EndToEnd, MlpFitsNonLinearFunction) {
  Generator g(17);
  const int64_t n = 256, hidden = 32;
  Tensor x = Tensor::uniform({n, 2}, -1, 1, g);
  std::vector<float> xv = x.to_vector<float>(), yv(n);
  for (int64_t i = 0; i < n; ++i) yv[i] = std::sin(3 * xv[2 * i]) * xv[2 * i + 1];
  Tensor y = Tensor::from_vector(yv, {n, 1});
  Tensor w1 = mul(Tensor::randn({2, hidden}, g), 0.7), b1 = Tensor::zeros({hidden});
  Tensor w2 = mul(Tensor::randn({hidden, 1}, g), 0.2), b2 = Tensor::zeros({1});
  std::vector<Tensor*> params{&w1, &b1, &w2, &b2};
  for (Tensor* p : params) p->requires_grad_();
  auto loss_fn = [&] {
    Tensor h = tanh(add(matmul(x, w1), b1));
    Tensor pred = add(matmul(h, w2), b2);
    Tensor d = sub(pred, y);
    return mean(mul(d, d));
  };
  const float first = loss_fn().item<float>();
  float last = first;
  for (int step = 0; step < 3000; ++step) {
    Tensor loss = loss_fn();
    for (Tensor* p : params) p->zero_grad();
    loss.backward();
    NoGradGuard guard;
    for (Tensor* p : params) p->copy_(sub(*p, mul(p->grad(), 0.2)));
    last = loss.item<float>();
  }
  EXPECT_LT(last, first / 10) << "loss " << first << " -> " << last;
}

}  // namespace
}  // namespace he
