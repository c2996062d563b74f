// The engine core's example: a 2-layer MLP, written with engine ops and a hand-written SGD
// step, learns y = sin(3 x0) * x1; prints the loss as it falls.
#include <fmt/format.h>

#include <chrono>
#include <cmath>

#include "engine/engine.h"

int main() {
  using namespace he;
  Generator g(1);
  const int64_t n = 1024, hidden = 64;
  Tensor x = Tensor::uniform({n, 2}, -1, 1, g);
  std::vector<float> xv = x.to_vector<float>(), yv(n);
  for (int64_t i = 0; i < n; ++i) yv[i] = std::sin(3 * xv[2 * i]) * xv[2 * i + 1];
  Tensor y = Tensor::from_vector(yv, {n, 1});
  Tensor w1 = mul(Tensor::randn({2, hidden}, g), 0.7), b1 = Tensor::zeros({hidden});
  Tensor w2 = mul(Tensor::randn({hidden, 1}, g), 0.1), b2 = Tensor::zeros({1});
  std::vector<Tensor*> params{&w1, &b1, &w2, &b2};
  for (Tensor* p : params) p->requires_grad_();
  auto start = std::chrono::steady_clock::now();
  for (int step = 0; step <= 2000; ++step) {
    Tensor pred = add(matmul(tanh(add(matmul(x, w1), b1)), w2), b2);
    Tensor loss = mean(pow(sub(pred, y), 2.0));
    for (Tensor* p : params) p->zero_grad();
    loss.backward();
    {
      NoGradGuard guard;
      for (Tensor* p : params) p->copy_(sub(*p, mul(p->grad(), 0.05)));
    }
    if (step % 250 == 0) fmt::print("step {:5d}  mse {:.6f}\n", step, loss.item<float>());
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print("2000 steps in {:.2f} s ({} threads)\n", s, num_threads());
  return 0;
}
