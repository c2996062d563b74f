#include "layers/latent.h"

#include <stdexcept>

namespace he::nn {

Tensor reparameterize(const Tensor& mu, const Tensor& logvar, Generator& gen) {
  if (mu.shape() != logvar.shape())
    throw std::invalid_argument("reparameterize: mu " + mu.shape_str() + " and logvar " +
                                logvar.shape_str() + " differ");
  Tensor eps = Tensor::randn(mu.shape(), gen, mu.dtype());
  return add(mu, mul(exp(mul(logvar, 0.5)), eps));
}

Tensor code_affinity(const Tensor& b, double exponent) {
  if (b.dim() != 2)
    throw std::invalid_argument("code_affinity: b must be (N,bits), got " + b.shape_str());
  const double bits = static_cast<double>(b.size(1));
  Tensor m1 = sub(b, 1.0);
  Tensor c = matmul(b, m1.t());
  Tensor dist = div(abs(add(c, c.t())), bits);  // (b m1^T)^T = m1 b^T
  // Relaxed codes outside [0,1] could take 1 - d below 0, where a fractional power is undefined.
  return pow(clamp(rsub(1.0, dist), 0.0, 1.0), exponent);
}

Tensor normalized_graph_conv(const Tensor& A, const Tensor& h) {
  if (A.dim() != 2 || A.size(0) != A.size(1) || h.dim() != 2 || h.size(0) != A.size(0))
    throw std::invalid_argument("normalized_graph_conv: A " + A.shape_str() + " and h " +
                                h.shape_str() + " must be (N,N) and (N,F)");
  Tensor d = pow(add(sum(A, {1}, true), 1e-8), -0.5);  // (N,1)
  return mul(d, matmul(A, mul(d, h)));
}

GraphConv::GraphConv(int64_t in, int64_t out, Generator& gen, DType dt) {
  fc = register_module("fc", std::make_shared<Linear>(in, out, gen, true, dt));
}

Tensor GraphConv::forward(const Tensor&) {
  throw std::logic_error("GraphConv::forward needs the graph: call forward(x, A)");
}

Tensor GraphConv::forward(const Tensor& x, const Tensor& A) {
  return normalized_graph_conv(A, fc->forward(x));
}

}  // namespace he::nn
