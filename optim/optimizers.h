#pragma once
// SGD, Adam, AdamW and RMSprop with PyTorch's update rules, each a fused loop per parameter
// over contiguous f32/f64 data (OpenMP for large tensors). Build one from a parameter list
// (one group) or from groups whose unset lr / weight_decay take the options' values.
#include <vector>

#include "optim/optimizer.h"

namespace he::optim {

struct SGDOptions {
  double lr = 1e-2;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;  // L2: added to the gradient
  bool nesterov = false;    // needs momentum > 0 and dampening == 0
};

// g = grad + wd*p; with momentum: buf = g on the first step, then buf = m*buf + (1-d)*g;
// g = nesterov ? g + m*buf : buf; p -= lr*g.  Buffer: momentum_buffer.
class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, SGDOptions opt);
  SGD(std::vector<ParamGroup> groups, SGDOptions opt);
  const char* name() const override { return "SGD"; }
  const SGDOptions& options() const { return opt_; }

 protected:
  void update(const ParamGroup& group, ParamState& state, Tensor& p, const Tensor& grad) override;
  std::vector<std::string> buffer_names() const override { return {"momentum_buffer"}; }

 private:
  SGDOptions opt_;
};

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
  bool amsgrad = false;
};

// t += 1; g = grad + wd*p (Adam) or p *= 1 - lr*wd (AdamW, decoupled);
// m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2; (amsgrad: vmax = max(vmax, v), used for v)
// p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps).
// Buffers: exp_avg, exp_avg_sq, max_exp_avg_sq (amsgrad only).
class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, AdamOptions opt);
  Adam(std::vector<ParamGroup> groups, AdamOptions opt);
  const char* name() const override { return decoupled_ ? "AdamW" : "Adam"; }
  const AdamOptions& options() const { return opt_; }

 protected:
  Adam(std::vector<ParamGroup> groups, AdamOptions opt, bool decoupled);
  void update(const ParamGroup& group, ParamState& state, Tensor& p, const Tensor& grad) override;
  std::vector<std::string> buffer_names() const override {
    return {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  }

 private:
  AdamOptions opt_;
  bool decoupled_;
};

// Adam with decoupled weight decay (Loshchilov & Hutter): PyTorch's default wd is 1e-2.
struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool amsgrad = false;
  AdamOptions adam() const { return {lr, beta1, beta2, eps, weight_decay, amsgrad}; }
};

class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, AdamWOptions opt);
  AdamW(std::vector<ParamGroup> groups, AdamWOptions opt);
};

struct RMSpropOptions {
  double lr = 1e-2;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0;
  double momentum = 0;
  bool centered = false;
};

// g = grad + wd*p; sq = a*sq + (1-a)*g^2; centered: ga = a*ga + (1-a)*g, avg = sqrt(sq -
// ga^2) + eps, else avg = sqrt(sq) + eps; momentum: buf = m*buf + g/avg, p -= lr*buf;
// else p -= lr*g/avg.  Buffers: square_avg, grad_avg (centered), momentum_buffer (momentum).
class RMSprop : public Optimizer {
 public:
  RMSprop(std::vector<Tensor> params, RMSpropOptions opt);
  RMSprop(std::vector<ParamGroup> groups, RMSpropOptions opt);
  const char* name() const override { return "RMSprop"; }
  const RMSpropOptions& options() const { return opt_; }

 protected:
  void update(const ParamGroup& group, ParamState& state, Tensor& p, const Tensor& grad) override;
  std::vector<std::string> buffer_names() const override {
    return {"square_avg", "grad_avg", "momentum_buffer"};
  }

 private:
  RMSpropOptions opt_;
};

}  // namespace he::optim
