#pragma once
// Normalisation layers. BatchNorm normalises with the batch's biased variance in training
// and keeps running statistics (unbiased variance, momentum 0.1 as in PyTorch) for eval.
#include "layers/batch_split.h"
#include "layers/module.h"

namespace he::nn {

class BatchNorm : public Module {
 public:
  // x:(N,C) or (N,C,L) for BatchNorm1d, (N,C,H,W) for BatchNorm2d; statistics per channel C.
  BatchNorm(int64_t channels, double eps = 1e-5, double momentum = 0.1, DType dt = DType::f32);
  Tensor forward(const Tensor& x) override;
  // max_pool2d(forward(x), 2) of x:(N,C,H,W); in training one fused op (the normalised tensor
  // is never written) unless the batch is split over ranks. Sequential calls it for a
  // BatchNorm followed by a 2x2 MaxPool2d.
  Tensor forward_max_pool2x2(const Tensor& x);
  std::string name() const override { return "BatchNorm"; }
  Tensor weight, bias, running_mean, running_var, num_batches_tracked;
  double eps, momentum;
  // Set while a batch is split over ranks (layers/batch_split.h): x is this rank's rows, and
  // training takes its statistics over every rank's rows (sync batch norm).
  std::shared_ptr<const BatchSplit> split;

 private:
  Tensor forward_split(const Tensor& x, const BatchSplit& s);
  // Moves the running statistics towards a batch's mean and biased variance over n values.
  void track(const Tensor& mean, const Tensor& var, int64_t n);
};
using BatchNorm1d = BatchNorm;
using BatchNorm2d = BatchNorm;

class LayerNorm : public Module {
 public:
  // Normalises over the last `shape.size()` dims; weight/bias of that shape.
  explicit LayerNorm(Shape shape, double eps = 1e-5, DType dt = DType::f32);
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "LayerNorm"; }
  Tensor weight, bias;
  Shape normalized_shape;
  double eps;
};

}  // namespace he::nn
