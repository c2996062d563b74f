#include "layers/basic.h"

namespace he::nn {

GeM::GeM(double p0, double e, DType dt) : eps(e) {
  p = register_parameter("p", Tensor::full({1}, p0, dt));
}

Tensor GeM::forward(const Tensor& x) {
  if (x.dim() != 4) throw std::invalid_argument("GeM: expected (N,C,H,W), got " + x.shape_str());
  Tensor m = mean(pow(clamp(x, eps, 1e30), p), {2, 3});  // p broadcasts as a (1) tensor
  return pow(m, rdiv(1.0, p));
}

Tensor Dropout::forward(const Tensor& x) {
  if (!is_training()) return x;
  if (split && (x.dim() == 0 || x.size(0) != split->rows))
    throw std::invalid_argument("Dropout: input " + x.shape_str() + " is not this rank's " +
                                std::to_string(split->rows) + " rows");
  return split ? dropout_rows(x, p_, *gen_, split->begin, split->total) : dropout(x, p_, *gen_);
}

std::shared_ptr<Module> ReLU() {
  return std::make_shared<Lambda>("ReLU", [](const Tensor& x) { return relu(x); });
}
std::shared_ptr<Module> Tanh() {
  return std::make_shared<Lambda>("Tanh", [](const Tensor& x) { return tanh(x); });
}
std::shared_ptr<Module> Sigmoid() {
  return std::make_shared<Lambda>("Sigmoid", [](const Tensor& x) { return sigmoid(x); });
}
std::shared_ptr<Module> LeakyReLU(double s) {
  return std::make_shared<Lambda>("LeakyReLU", [s](const Tensor& x) { return leaky_relu(x, s); });
}
std::shared_ptr<Module> ELU(double a) {
  return std::make_shared<Lambda>("ELU", [a](const Tensor& x) { return elu(x, a); });
}

Embedding::Embedding(int64_t num, int64_t dim, Generator& gen, DType dt) {
  weight = register_parameter("weight", Tensor::randn({num, dim}, gen, dt));
}

Tensor Embedding::forward(const Tensor& ids) {
  Shape out = ids.shape();
  out.push_back(weight.size(1));
  return index_select(weight, 0, ids.reshape({-1})).reshape(out);
}

Tensor l2_normalize(const Tensor& x, int64_t dim, double eps) {
  Tensor n = norm(x, 2, {dim}, true);
  return div(x, maximum(n, Tensor::scalar(eps, x.dtype())));
}

}  // namespace he::nn
