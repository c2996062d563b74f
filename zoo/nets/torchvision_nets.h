#pragma once
// torchvision's AlexNet, VGG-16 (with or without batch norm) and ResNet-18/50, with its
// module tree, so that state_dict names and shapes are torchvision's exactly
// ("features.0.weight", "classifier.1.weight"; "conv1.weight", "bn1.running_mean",
// "layer2.0.downsample.0.weight", "fc.weight"). Built from the architectures as the papers
// and torchvision's documentation describe them:
//  AlexNet (Krizhevsky 2012; torchvision follows 'One weird trick', Krizhevsky 2014: 64-192-
//    384-256-256 filters, no LRN), adaptive average pool to 6x6, classifier
//    dropout - fc 4096 - ReLU - dropout - fc 4096 - ReLU - fc out.
//  VGG-16 (Simonyan, Zisserman 2015, configuration D): thirteen 3x3 convs (pad 1) with ReLU
//    (and BN before it in vgg16_bn) in blocks of 64, 64 | 128, 128 | 256 x3 | 512 x3 | 512 x3,
//    each block ending in a 2x2 max pool; adaptive average pool to 7x7; classifier
//    fc 4096 - ReLU - dropout - fc 4096 - ReLU - dropout - fc out.
//  ResNet (He et al. 2016; torchvision's 'v1.5': Bottleneck strides on its 3x3 conv): conv
//    7x7/2 - BN - ReLU - maxpool 3/2 pad 1, four stages of blocks (BasicBlock for 18 layers,
//    [2,2,2,2]; Bottleneck x4 for 50, [3,4,6,3]), a 1x1 conv + BN shortcut ("downsample")
//    where the shape changes, global average pool, fc out.
// Each takes an InputAdapter (zoo/backbones.h) for data that is not 3-channel ImageNet input.
// Initialisation follows torchvision: AlexNet PyTorch's default; VGG convs Kaiming normal
// (fan_out, ReLU) with zero bias, fc N(0, 0.01) with zero bias; ResNet convs Kaiming normal
// (fan_out, ReLU), BN weight 1 and bias 0, fc PyTorch's default.
#include "zoo/backbones.h"

namespace he::zoo {

// AlexNet and VGG: features -> adaptive avg pool -> flatten -> classifier, whose last entry is
// the head (classifier.6).
class ConvClassifierNet : public Backbone {
 public:
  Tensor features_of(const Tensor& x) override;  // (N,4096): after the second fc + ReLU
  int64_t feature_dim() const override { return 4096; }
  Tensor feature_map(const Tensor& x) override;  // `features`' output, before the avg pool
  int64_t map_channels() const override { return map_channels_; }
  std::string head_prefix() const override { return "classifier.6."; }
  std::string name() const override { return name_; }
  std::shared_ptr<nn::Sequential> features, classifier;
  InputAdapter adapter;  // how inputs reach `features` (zoo/backbones.h)

 protected:
  ConvClassifierNet(std::string name, InputAdapter a, int64_t pool_side, int64_t map_channels)
      : adapter(a), pool_side_(pool_side), map_channels_(map_channels), name_(std::move(name)) {}
  // Registers classifier = [entries..., head] with head Linear(4096, out) when out > 0.
  void add_classifier(std::vector<std::shared_ptr<nn::Module>> entries, int64_t out,
                      Generator& init);
  int64_t pool_side_, map_channels_;
  std::string name_;
};

class AlexNet : public ConvClassifierNet {
 public:
  // out: the classifier's width (1000 for ImageNet, bits for a hash head, 0: headless).
  AlexNet(int64_t out, Generator& init, std::shared_ptr<Generator> dropout_gen,
          InputAdapter adapter = {});
};

class Vgg16 : public ConvClassifierNet {
 public:
  Vgg16(int64_t out, Generator& init, std::shared_ptr<Generator> dropout_gen,
        bool batch_norm = false, InputAdapter adapter = {});
};

// One residual block: BasicBlock (two 3x3 convs) or Bottleneck (1x1, 3x3, 1x1 x4).
class ResidualBlock : public nn::Module {
 public:
  ResidualBlock(int64_t in, int64_t planes, int64_t stride, bool bottleneck, Generator& init);
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return bottleneck_ ? "Bottleneck" : "BasicBlock"; }
  int64_t out_channels() const { return bottleneck_ ? planes_ * 4 : planes_; }

 private:
  bool bottleneck_;
  int64_t planes_;
  std::vector<std::pair<std::shared_ptr<nn::Conv2d>, std::shared_ptr<nn::BatchNorm>>> convs_;
  std::shared_ptr<nn::Sequential> downsample_;  // null: identity shortcut
};

class ResNet : public Backbone {
 public:
  // depth 18 or 50.
  ResNet(int depth, int64_t out, Generator& init, InputAdapter adapter = {});
  Tensor features_of(const Tensor& x) override;  // (N,512) or (N,2048): the global avg pool
  int64_t feature_dim() const override { return feature_dim_; }
  Tensor feature_map(const Tensor& x) override;  // layer4's output
  int64_t map_channels() const override { return feature_dim_; }
  std::string head_prefix() const override { return "fc."; }
  std::string name() const override { return "ResNet" + std::to_string(depth_); }
  std::shared_ptr<nn::Conv2d> conv1;
  std::shared_ptr<nn::BatchNorm> bn1;
  std::shared_ptr<nn::Sequential> layers[4];
  InputAdapter adapter;  // how inputs reach conv1 (zoo/backbones.h)

 private:
  int depth_;
  int64_t feature_dim_;
};

// Torchvision's initialisers, in place.
void kaiming_normal_fan_out_(Tensor& w, Generator& gen);  // conv weight (O,I,K,K), ReLU gain
void normal_(Tensor& t, double std, Generator& gen);
void zeros_(Tensor& t);

}  // namespace he::zoo
