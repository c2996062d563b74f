#include "layers/attention.h"

#include <fmt/format.h>

#include <stdexcept>

namespace he::nn {

namespace {
void check_feature_map(const Tensor& x, int64_t channels, const char* layer) {
  if (x.dim() != 4 || (channels > 0 && x.size(1) != channels))
    throw std::invalid_argument(fmt::format("{}: expected (N,{},H,W), got {}", layer,
                                            channels > 0 ? std::to_string(channels) : "C",
                                            x.shape_str()));
}
}  // namespace

SqueezeExcitation::SqueezeExcitation(int64_t c, int64_t s, Generator& gen, DType dt) {
  fc1 = register_module("fc1", std::make_shared<Conv2d>(c, s, 1, gen, Conv2dOptions{}, true, dt));
  fc2 = register_module("fc2", std::make_shared<Conv2d>(s, c, 1, gen, Conv2dOptions{}, true, dt));
}

Tensor SqueezeExcitation::scale(const Tensor& x) {
  check_feature_map(x, fc1->weight.size(1), "SqueezeExcitation");
  return sigmoid(fc2->forward(relu(fc1->forward(mean(x, {2, 3}, true)))));
}

Tensor SqueezeExcitation::forward(const Tensor& x) { return mul(x, scale(x)); }

ChannelAttention::ChannelAttention(int64_t c, int64_t r, Generator& gen, DType dt) {
  if (r < 1 || c / r < 1)
    throw std::invalid_argument(
        fmt::format("ChannelAttention: reduction {} does not fit {} channels", r, c));
  // mlp.0 / mlp.2 as in an nn.Sequential(Linear, ReLU, Linear).
  auto mlp = register_module("mlp", std::make_shared<Sequential>());
  fc1 = std::make_shared<Linear>(c, c / r, gen, true, dt);
  fc2 = std::make_shared<Linear>(c / r, c, gen, true, dt);
  mlp->push_back(fc1);
  mlp->push_back(ReLU());
  mlp->push_back(fc2);
}

Tensor ChannelAttention::scale(const Tensor& x) {
  check_feature_map(x, fc1->weight.size(1), "ChannelAttention");
  auto mlp = [&](const Tensor& d) { return fc2->forward(relu(fc1->forward(d))); };
  Tensor s = sigmoid(add(mlp(mean(x, {2, 3})), mlp(amax(x, {2, 3}))));
  return s.reshape({x.size(0), x.size(1), 1, 1});
}

Tensor ChannelAttention::forward(const Tensor& x) { return mul(x, scale(x)); }

SpatialAttention::SpatialAttention(Generator& gen, int64_t k, DType dt) {
  if (k % 2 == 0)
    throw std::invalid_argument(fmt::format("SpatialAttention: kernel {} must be odd", k));
  conv = register_module("conv", std::make_shared<Conv2d>(2, 1, k, gen, same_padding(k), true, dt));
}

Tensor SpatialAttention::attention_map(const Tensor& x) {
  check_feature_map(x, 0, "SpatialAttention");
  return sigmoid(conv->forward(concat({mean(x, {1}, true), amax(x, {1}, true)}, 1)));
}

Tensor SpatialAttention::forward(const Tensor& x) { return mul(x, attention_map(x)); }

CBAM::CBAM(int64_t c, int64_t r, Generator& gen, int64_t k, DType dt) {
  channel_gate = register_module("channel_gate", std::make_shared<ChannelAttention>(c, r, gen, dt));
  spatial_gate = register_module("spatial_gate", std::make_shared<SpatialAttention>(gen, k, dt));
}

Tensor CBAM::forward(const Tensor& x) { return spatial_gate->forward(channel_gate->forward(x)); }

}  // namespace he::nn
