#include "layers/hash_layers.h"

namespace he::nn {

Tensor StochasticBinary::forward(const Tensor& x) {
  Tensor p = sigmoid(x);
  Tensor b;
  {
    NoGradGuard guard;
    Tensor u = is_training() ? Tensor::rand(x.shape(), *gen_, x.dtype())
                             : Tensor::full(x.shape(), 0.5, x.dtype());
    b = lt(u, p.detach()).to(x.dtype());
  }
  // b + (p - p.detach()) has b's value and the gradient of p: dL/dx = dL/db * p (1 - p).
  return add(b, sub(p, p.detach()));
}

}  // namespace he::nn
