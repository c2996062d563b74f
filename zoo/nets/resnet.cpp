// ResNet-18 and ResNet-50 with torchvision's module tree (see torchvision_nets.h).
#include <fmt/format.h>

#include <stdexcept>

#include "zoo/nets/torchvision_nets.h"

namespace he::zoo {

namespace {
std::shared_ptr<nn::Conv2d> conv(int64_t in, int64_t out, int64_t k, int64_t stride,
                                 Generator& init) {
  Conv2dOptions o;
  o.stride_h = o.stride_w = stride;
  o.pad_h = o.pad_w = k / 2;
  auto c = std::make_shared<nn::Conv2d>(in, out, k, init, o, /*bias=*/false);
  kaiming_normal_fan_out_(c->weight, init);
  return c;
}
}  // namespace

ResidualBlock::ResidualBlock(int64_t in, int64_t planes, int64_t stride, bool bottleneck,
                             Generator& init)
    : bottleneck_(bottleneck), planes_(planes) {
  // (in, out, kernel, stride) of each conv; the Bottleneck strides on its 3x3 conv (v1.5).
  struct Spec {
    int64_t in, out, k, stride;
  };
  std::vector<Spec> specs =
      bottleneck ? std::vector<Spec>{{in, planes, 1, 1},
                                     {planes, planes, 3, stride},
                                     {planes, planes * 4, 1, 1}}
                 : std::vector<Spec>{{in, planes, 3, stride}, {planes, planes, 3, 1}};
  for (size_t i = 0; i < specs.size(); ++i) {
    const std::string n = std::to_string(i + 1);
    auto c = register_module("conv" + n,
                             conv(specs[i].in, specs[i].out, specs[i].k, specs[i].stride, init));
    auto bn = register_module("bn" + n, std::make_shared<nn::BatchNorm>(specs[i].out));
    convs_.emplace_back(c, bn);
  }
  if (stride != 1 || in != out_channels())
    downsample_ = register_module(
        "downsample", std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
                          conv(in, out_channels(), 1, stride, init),
                          std::make_shared<nn::BatchNorm>(out_channels())}));
}

Tensor ResidualBlock::forward(const Tensor& x) {
  Tensor h = x;
  for (size_t i = 0; i < convs_.size(); ++i) {
    h = convs_[i].second->forward(convs_[i].first->forward(h));
    if (i + 1 < convs_.size()) h = relu(h);
  }
  return relu(add(h, downsample_ ? downsample_->forward(x) : x));
}

ResNet::ResNet(int depth, int64_t out, Generator& init, InputAdapter a)
    : adapter(a), depth_(depth) {
  if (depth != 18 && depth != 50)
    throw std::invalid_argument(fmt::format("ResNet: depth {} (18 or 50 are defined)", depth));
  const bool bottleneck = depth == 50;
  const int64_t blocks[4] = {2, 2, 2, 2}, deep[4] = {3, 4, 6, 3};
  conv1 = register_module("conv1", conv(3, 64, 7, 2, init));
  bn1 = register_module("bn1", std::make_shared<nn::BatchNorm>(64));
  int64_t in = 64;
  for (int s = 0; s < 4; ++s) {
    auto stage = std::make_shared<nn::Sequential>();
    const int64_t planes = 64 << s, count = bottleneck ? deep[s] : blocks[s];
    for (int64_t b = 0; b < count; ++b) {
      auto block =
          std::make_shared<ResidualBlock>(in, planes, b == 0 && s > 0 ? 2 : 1, bottleneck, init);
      in = block->out_channels();
      stage->push_back(block);
    }
    layers[s] = register_module("layer" + std::to_string(s + 1), stage);
  }
  feature_dim_ = in;
  if (out > 0) head = register_module("fc", std::make_shared<nn::Linear>(in, out, init));
}

Tensor ResNet::feature_map(const Tensor& x) {
  Tensor h = relu(bn1->forward(conv1->forward(adapter.apply(x))));
  h = max_pool2d(h, 3, 2, 1);
  for (auto& stage : layers) h = stage->forward(h);
  return h;
}

Tensor ResNet::features_of(const Tensor& x) {
  return mean(feature_map(x), {2, 3});  // adaptive average pool to 1x1, flattened
}

}  // namespace he::zoo
