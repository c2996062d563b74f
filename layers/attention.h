#pragma once
// Channel and spatial attention on a CNN feature map x:(N,C,H,W): each gate computes a weight in
// (0,1) per channel or per position and rescales x by it, so the output has x's shape.
#include "layers/basic.h"
#include "layers/linear_conv.h"

namespace he::nn {

// Squeeze-and-excitation (Hu, Shen & Sun, 'Squeeze-and-Excitation Networks', CVPR 2018):
// s = sigmoid(fc2(relu(fc1(avgpool(x))))), y = x * s. fc1/fc2 are 1x1 convolutions with
// torchvision.ops.SqueezeExcitation's names (fc1.weight:(S,C,1,1), fc2.weight:(C,S,1,1)).
class SqueezeExcitation : public Module {
 public:
  SqueezeExcitation(int64_t channels, int64_t squeeze_channels, Generator& gen,
                    DType dt = DType::f32);
  Tensor forward(const Tensor& x) override;
  Tensor scale(const Tensor& x);  // (N,C,1,1) channel weights
  std::string name() const override { return "SqueezeExcitation"; }
  std::shared_ptr<Conv2d> fc1, fc2;
};

// CBAM's channel gate (Woo, Park, Lee & Kweon, 'CBAM: Convolutional Block Attention Module',
// ECCV 2018): one MLP (C -> C/r -> C, names mlp.0 and mlp.2) on the average- and the
// max-pooled descriptors, summed: s = sigmoid(mlp(avg) + mlp(max)), y = x * s.
class ChannelAttention : public Module {
 public:
  ChannelAttention(int64_t channels, int64_t reduction, Generator& gen, DType dt = DType::f32);
  Tensor forward(const Tensor& x) override;
  Tensor scale(const Tensor& x);  // (N,C,1,1)
  std::string name() const override { return "ChannelAttention"; }
  std::shared_ptr<Linear> fc1, fc2;
};

// CBAM's spatial gate: a k x k convolution (2 -> 1 channels, same padding) over the channel-wise
// mean and max, m = sigmoid(conv([mean_c x, max_c x])), y = x * m.
class SpatialAttention : public Module {
 public:
  explicit SpatialAttention(Generator& gen, int64_t kernel = 7, DType dt = DType::f32);
  Tensor forward(const Tensor& x) override;
  Tensor attention_map(const Tensor& x);  // (N,1,H,W) in (0,1), for overlays
  std::string name() const override { return "SpatialAttention"; }
  std::shared_ptr<Conv2d> conv;
};

// CBAM: the channel gate, then the spatial gate on its output (the paper's sequential order).
class CBAM : public Module {
 public:
  CBAM(int64_t channels, int64_t reduction, Generator& gen, int64_t kernel = 7,
       DType dt = DType::f32);
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "CBAM"; }
  std::shared_ptr<ChannelAttention> channel_gate;
  std::shared_ptr<SpatialAttention> spatial_gate;
};

}  // namespace he::nn
