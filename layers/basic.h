#pragma once
// Parameter-free and small layers: pooling, GeM, dropout, flatten, activations,
// embedding, L2 normalisation.
#include <functional>
#include <memory>

#include "layers/batch_split.h"
#include "layers/module.h"

namespace he::nn {

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(int64_t k, int64_t stride = 0, int64_t pad = 0) : k_(k), s_(stride), p_(pad) {}
  Tensor forward(const Tensor& x) override { return max_pool2d(x, k_, s_, p_); }
  std::string name() const override { return "MaxPool2d"; }
  bool is_2x2() const { return k_ == 2 && (s_ == 0 || s_ == 2) && p_ == 0; }  // stride 0: k

 private:
  int64_t k_, s_, p_;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(int64_t k, int64_t stride = 0, int64_t pad = 0) : k_(k), s_(stride), p_(pad) {}
  Tensor forward(const Tensor& x) override { return avg_pool2d(x, k_, s_, p_); }
  std::string name() const override { return "AvgPool2d"; }

 private:
  int64_t k_, s_, p_;
};

class AdaptiveAvgPool2d : public Module {
 public:
  AdaptiveAvgPool2d(int64_t oh, int64_t ow) : oh_(oh), ow_(ow) {}
  Tensor forward(const Tensor& x) override { return adaptive_avg_pool2d(x, oh_, ow_); }
  std::string name() const override { return "AdaptiveAvgPool2d"; }

 private:
  int64_t oh_, ow_;
};

// Generalised mean pooling (Radenovic, Tolias, Chum, 'Fine-tuning CNN image retrieval with no
// human annotation', TPAMI 2018): (mean over H,W of clamp(x, eps)^p)^(1/p), p learnable.
// x:(N,C,H,W) -> (N,C)
class GeM : public Module {
 public:
  explicit GeM(double p = 3.0, double eps = 1e-6, DType dt = DType::f32);
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "GeM"; }
  Tensor p;
  double eps;
};

// Zeroes each element with probability p in training (scaling the rest by 1/(1-p)); the
// identity in eval. The mask comes from the shared Generator, part of a checkpoint's state.
class Dropout : public Module {
 public:
  Dropout(double p, std::shared_ptr<Generator> gen) : p_(p), gen_(std::move(gen)) {}
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "Dropout"; }
  // Set while a batch is split over ranks (layers/batch_split.h): x is this rank's rows.
  std::shared_ptr<const BatchSplit> split;

 private:
  double p_;
  std::shared_ptr<Generator> gen_;
};

class Flatten : public Module {
 public:
  Tensor forward(const Tensor& x) override { return x.flatten(1); }
  std::string name() const override { return "Flatten"; }
};

// An activation (or any parameter-free function) as a layer.
class Lambda : public Module {
 public:
  Lambda(std::string name, std::function<Tensor(const Tensor&)> f)
      : name_(std::move(name)), f_(std::move(f)) {}
  Tensor forward(const Tensor& x) override { return f_(x); }
  std::string name() const override { return name_; }

 private:
  std::string name_;
  std::function<Tensor(const Tensor&)> f_;
};
std::shared_ptr<Module> ReLU();
std::shared_ptr<Module> Tanh();
std::shared_ptr<Module> Sigmoid();
std::shared_ptr<Module> LeakyReLU(double slope = 0.01);
std::shared_ptr<Module> ELU(double alpha = 1.0);

// Rows of a (num, dim) table, weight ~ N(0, 1) as in PyTorch. ids: i64 any shape -> (..., dim)
class Embedding : public Module {
 public:
  Embedding(int64_t num, int64_t dim, Generator& gen, DType dt = DType::f32);
  Tensor forward(const Tensor& ids) override;
  std::string name() const override { return "Embedding"; }
  Tensor weight;
};

// x / max(||x||_2, eps) along dim (default: last).
Tensor l2_normalize(const Tensor& x, int64_t dim = -1, double eps = 1e-12);
class L2Normalize : public Module {
 public:
  explicit L2Normalize(int64_t dim = -1) : dim_(dim) {}
  Tensor forward(const Tensor& x) override { return l2_normalize(x, dim_); }
  std::string name() const override { return "L2Normalize"; }

 private:
  int64_t dim_;
};

}  // namespace he::nn
