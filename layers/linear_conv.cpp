#include "layers/linear_conv.h"

#include <cmath>

namespace he::nn {

namespace {
Tensor kaiming_uniform(const Shape& shape, int64_t fan_in, Generator& gen, DType dt) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(std::max<int64_t>(fan_in, 1)));
  return Tensor::uniform(shape, -bound, bound, gen, dt);
}
}  // namespace

Conv2dOptions same_padding(int64_t kernel) {
  Conv2dOptions o;
  o.pad_h = o.pad_w = kernel / 2;
  return o;
}

Linear::Linear(int64_t in, int64_t out, Generator& gen, bool has_bias, DType dt) {
  weight = register_parameter("weight", kaiming_uniform({out, in}, in, gen, dt));
  if (has_bias) bias = register_parameter("bias", kaiming_uniform({out}, in, gen, dt));
}

Tensor Linear::forward(const Tensor& x) { return linear(x, weight, bias); }

Conv2d::Conv2d(int64_t in, int64_t out, int64_t k, Generator& gen, Conv2dOptions o, bool has_bias,
               DType dt)
    : opt(o) {
  const int64_t fan_in = in / o.groups * k * k;
  weight =
      register_parameter("weight", kaiming_uniform({out, in / o.groups, k, k}, fan_in, gen, dt));
  if (has_bias) bias = register_parameter("bias", kaiming_uniform({out}, fan_in, gen, dt));
}

Tensor Conv2d::forward(const Tensor& x) { return conv2d(x, weight, bias, opt); }

ConvTranspose2d::ConvTranspose2d(int64_t in, int64_t out, int64_t k, Generator& gen,
                                 Conv2dOptions o, bool has_bias, DType dt)
    : opt(o) {
  // PyTorch computes fan_in from weight.size(1) * k * k for transposed convolutions.
  const int64_t fan_in = out / o.groups * k * k;
  weight =
      register_parameter("weight", kaiming_uniform({in, out / o.groups, k, k}, fan_in, gen, dt));
  if (has_bias) bias = register_parameter("bias", kaiming_uniform({out}, fan_in, gen, dt));
}

Tensor ConvTranspose2d::forward(const Tensor& x) { return conv_transpose2d(x, weight, bias, opt); }

}  // namespace he::nn
