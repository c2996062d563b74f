#include "layers/norm.h"

#include <fmt/format.h>

#include <numeric>
#include <stdexcept>

namespace he::nn {

BatchNorm::BatchNorm(int64_t c, double e, double m, DType dt) : eps(e), momentum(m) {
  weight = register_parameter("weight", Tensor::ones({c}, dt));
  bias = register_parameter("bias", Tensor::zeros({c}, dt));
  running_mean = register_buffer("running_mean", Tensor::zeros({c}, dt));
  running_var = register_buffer("running_var", Tensor::ones({c}, dt));
  num_batches_tracked = register_buffer("num_batches_tracked", Tensor::zeros({}, DType::i64));
}

Tensor BatchNorm::forward(const Tensor& x) {
  const int64_t c = weight.size(0);
  if (x.dim() < 2 || x.size(1) != c)
    throw std::invalid_argument(
        fmt::format("BatchNorm({}): input {} has no channel dim of size {}", c, x.shape_str(), c));
  if (!is_training()) return batch_norm_eval(x, running_mean, running_var, weight, bias, eps);
  if (split) return forward_split(x, *split);
  BatchNormOut out = batch_norm_train(x, weight, bias, eps);
  track(out.mean, out.var, x.numel() / c);
  return out.y;
}

Tensor BatchNorm::forward_max_pool2x2(const Tensor& x) {
  if (!is_training() || split || x.dim() != 4 || x.size(1) != weight.size(0))
    return max_pool2d(forward(x), 2);
  BatchNormOut out = batch_norm_max_pool2x2_train(x, weight, bias, eps);
  track(out.mean, out.var, x.numel() / weight.size(0));
  return out.y;
}

void BatchNorm::track(const Tensor& mean, const Tensor& var, int64_t n) {
  NoGradGuard guard;
  Tensor unbiased = mul(var.detach(), static_cast<double>(n) / std::max<int64_t>(n - 1, 1));
  running_mean.copy_(add(mul(running_mean, 1 - momentum), mul(mean.detach(), momentum)));
  running_var.copy_(add(mul(running_var, 1 - momentum), mul(unbiased, momentum)));
  num_batches_tracked.copy_(add(num_batches_tracked, Tensor::scalar(1, DType::i64)));
}

// Sync batch norm: the statistics, and the backward's sums, over every rank's rows.
Tensor BatchNorm::forward_split(const Tensor& x, const BatchSplit& s) {
  if (x.size(0) != s.rows)
    throw std::invalid_argument(fmt::format("BatchNorm({}): input {} is not this rank's {} rows",
                                            weight.size(0), x.shape_str(), s.rows));
  BatchNormOut out = batch_norm_train_split(x, weight, bias, eps, s.total, s.sum);
  track(out.mean, out.var, s.total * (x.numel() / std::max<int64_t>(x.size(0) * x.size(1), 1)));
  return out.y;
}

LayerNorm::LayerNorm(Shape shape, double e, DType dt) : normalized_shape(shape), eps(e) {
  weight = register_parameter("weight", Tensor::ones(shape, dt));
  bias = register_parameter("bias", Tensor::zeros(shape, dt));
}

Tensor LayerNorm::forward(const Tensor& x) {
  const int64_t k = static_cast<int64_t>(normalized_shape.size());
  if (x.dim() < k ||
      !std::equal(normalized_shape.begin(), normalized_shape.end(), x.shape().end() - k))
    throw std::invalid_argument("LayerNorm" + shape_to_string(normalized_shape) + ": input " +
                                x.shape_str());
  std::vector<int64_t> dims(k);
  std::iota(dims.begin(), dims.end(), x.dim() - k);
  Tensor mu = mean(x, dims, true);
  Tensor var = mean(pow(sub(x, mu), 2.0), dims, true);
  return add(mul(div(sub(x, mu), sqrt(add(var, eps))), weight), bias);
}

}  // namespace he::nn
