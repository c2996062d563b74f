#include "layers/hash_layers.h"

#include <stdexcept>

namespace he::nn {

StochasticBinary::Out StochasticBinary::forward_full(const Tensor& x) {
  Tensor p = sigmoid(x);
  Tensor b;
  {
    NoGradGuard guard;
    const bool draw = sample_ && is_training();
    if (draw && !gen_) throw std::invalid_argument("StochasticBinary: sampling needs a generator");
    Tensor u = draw ? Tensor::rand(x.shape(), *gen_, x.dtype(), x.device())
                    : Tensor::full(x.shape(), 0.5, x.dtype(), x.device());
    b = lt(u, p.detach()).to(x.dtype());
  }
  // b + (p - p.detach()) has b's value and the gradient of p: dL/dx = dL/db * p (1 - p).
  return {add(b, sub(p, p.detach())), p};
}

}  // namespace he::nn
