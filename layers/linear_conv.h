#pragma once
// Linear, Conv2d and ConvTranspose2d with PyTorch's parameter names, shapes and default
// initialisation (Kaiming uniform with a = sqrt(5): weight and bias ~ U(-1/sqrt(fan_in),
// 1/sqrt(fan_in))), drawn from the Generator passed in so a model is seedable.
#include "layers/module.h"

namespace he::nn {

class Linear : public Module {
 public:
  // x:(..., in) -> (..., out); weight:(out, in), bias:(out)
  Linear(int64_t in, int64_t out, Generator& gen, bool bias = true, DType dt = DType::f32);
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "Linear"; }
  Tensor weight, bias;
};

class Conv2d : public Module {
 public:
  // x:(N,in,H,W) -> (N,out,OH,OW); weight:(out, in/groups, k, k)
  Conv2d(int64_t in, int64_t out, int64_t kernel, Generator& gen, Conv2dOptions opt = {},
         bool bias = true, DType dt = DType::f32);
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "Conv2d"; }
  Tensor weight, bias;
  Conv2dOptions opt;
};

class ConvTranspose2d : public Module {
 public:
  // x:(N,in,H,W) -> (N,out,OH,OW); weight:(in, out/groups, k, k)
  ConvTranspose2d(int64_t in, int64_t out, int64_t kernel, Generator& gen, Conv2dOptions opt = {},
                  bool bias = true, DType dt = DType::f32);
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "ConvTranspose2d"; }
  Tensor weight, bias;
  Conv2dOptions opt;
};

// Same-size padding helper for a stride-1 odd kernel: Conv2dOptions with pad = k / 2.
Conv2dOptions same_padding(int64_t kernel);

}  // namespace he::nn
