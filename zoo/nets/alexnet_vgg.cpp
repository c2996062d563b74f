// AlexNet and VGG-16 with torchvision's module tree (see torchvision_nets.h).
#include <cmath>

#include "zoo/nets/torchvision_nets.h"

namespace he::zoo {

using nn::Module;
using ModuleList = std::vector<std::shared_ptr<Module>>;

void kaiming_normal_fan_out_(Tensor& w, Generator& gen) {
  const double fan_out = static_cast<double>(w.size(0) * w.size(2) * w.size(3));
  normal_(w, std::sqrt(2.0 / fan_out), gen);
}

void normal_(Tensor& t, double std, Generator& gen) {
  NoGradGuard guard;
  t.copy_(mul(Tensor::randn(t.shape(), gen, t.dtype()), std));
}

void zeros_(Tensor& t) {
  NoGradGuard guard;
  t.copy_(Tensor::zeros(t.shape(), t.dtype()));
}

void ConvClassifierNet::add_classifier(ModuleList entries, int64_t out, Generator& init) {
  if (out > 0) {
    head = std::make_shared<nn::Linear>(4096, out, init);
    entries.push_back(head);
  }
  classifier = register_module("classifier", std::make_shared<nn::Sequential>(entries));
}

Tensor ConvClassifierNet::feature_map(const Tensor& x) {
  return features->forward(adapter.apply(x));
}

Tensor ConvClassifierNet::features_of(const Tensor& x) {
  Tensor h = adaptive_avg_pool2d(feature_map(x), pool_side_, pool_side_).flatten(1);
  for (size_t i = 0; i < 6; ++i) h = classifier->at(i)->forward(h);  // up to the head
  return h;
}

AlexNet::AlexNet(int64_t out, Generator& init, std::shared_ptr<Generator> dropout_gen,
                 InputAdapter a)
    : ConvClassifierNet("AlexNet", a, 6, 256) {
  using nn::Conv2d, nn::MaxPool2d, nn::ReLU;
  auto conv = [&](int64_t in, int64_t o, int64_t k, int64_t stride, int64_t pad) {
    Conv2dOptions opt;
    opt.stride_h = opt.stride_w = stride;
    opt.pad_h = opt.pad_w = pad;
    return std::make_shared<Conv2d>(in, o, k, init, opt);
  };
  auto pool = [] { return std::make_shared<MaxPool2d>(3, 2); };
  features = register_module(
      "features", std::make_shared<nn::Sequential>(ModuleList{
                      conv(3, 64, 11, 4, 2), ReLU(), pool(), conv(64, 192, 5, 1, 2), ReLU(), pool(),
                      conv(192, 384, 3, 1, 1), ReLU(), conv(384, 256, 3, 1, 1), ReLU(),
                      conv(256, 256, 3, 1, 1), ReLU(), pool()}));
  auto drop = [&] { return std::make_shared<nn::Dropout>(0.5, dropout_gen); };
  add_classifier({drop(), std::make_shared<nn::Linear>(256 * 6 * 6, 4096, init), ReLU(), drop(),
                  std::make_shared<nn::Linear>(4096, 4096, init), ReLU()},
                 out, init);
}

Vgg16::Vgg16(int64_t out, Generator& init, std::shared_ptr<Generator> dropout_gen, bool batch_norm,
             InputAdapter a)
    : ConvClassifierNet(batch_norm ? "VGG16_BN" : "VGG16", a, 7, 512) {
  ModuleList layers;
  int64_t in = 3;
  // Configuration D: widths per block, three convs in the last three blocks.
  const std::vector<std::vector<int64_t>> blocks{
      {64, 64}, {128, 128}, {256, 256, 256}, {512, 512, 512}, {512, 512, 512}};
  for (const auto& block : blocks) {
    for (int64_t width : block) {
      auto conv = std::make_shared<nn::Conv2d>(in, width, 3, init, nn::same_padding(3));
      kaiming_normal_fan_out_(conv->weight, init);
      zeros_(conv->bias);
      layers.push_back(conv);
      if (batch_norm) layers.push_back(std::make_shared<nn::BatchNorm>(width));
      layers.push_back(nn::ReLU());
      in = width;
    }
    layers.push_back(std::make_shared<nn::MaxPool2d>(2, 2));
  }
  features = register_module("features", std::make_shared<nn::Sequential>(layers));
  auto fc = [&](int64_t i, int64_t o) {
    auto l = std::make_shared<nn::Linear>(i, o, init);
    normal_(l->weight, 0.01, init);
    zeros_(l->bias);
    return l;
  };
  auto drop = [&] { return std::make_shared<nn::Dropout>(0.5, dropout_gen); };
  add_classifier({fc(512 * 7 * 7, 4096), nn::ReLU(), drop(), fc(4096, 4096), nn::ReLU(), drop()},
                 out, init);
  if (head) {
    normal_(head->weight, 0.01, init);
    zeros_(head->bias);
  }
}

}  // namespace he::zoo
