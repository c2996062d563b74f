#pragma once
// Hash layers: the fused sign-STE and continuation ops as modules, and a stochastic binary
// neuron. Each returns codes/activations of the same shape as its input.
#include <memory>

#include "layers/module.h"

namespace he::nn {

// b = sign(h) (sign(0) = +1) with a straight-through gradient (GreedyHash, Su et al.,
// 'Greedy Hash: Towards Fast Optimization for Accurate Hash Coding in CNN', NeurIPS 2018).
// forward_full() also gives the packed bits and the fused quantisation error.
class SignSTE : public Module {
 public:
  explicit SignSTE(SteGrad grad = SteGrad::Identity) : grad_(grad) {}
  Tensor forward(const Tensor& h) override { return sign_ste(h, grad_).codes; }
  SignSte forward_full(const Tensor& h) { return sign_ste(h, grad_); }
  std::string name() const override { return "SignSTE"; }

 private:
  SteGrad grad_;
};

// y = tanh(beta x) with beta raised by the trainer (HashNet, Cao et al., 'HashNet: Deep
// Learning to Hash by Continuation', ICCV 2017).
class Continuation : public Module {
 public:
  explicit Continuation(double beta = 1.0) : beta(beta) {}
  Tensor forward(const Tensor& x) override { return continuation(x, beta); }
  std::string name() const override { return "Continuation"; }
  double beta;
};

// Stochastic binary neuron: p = sigmoid(x), b ~ Bernoulli(p) in training (threshold 0.5 in
// eval), output in {0,1}; gradient dL/dx = dL/db * p (1 - p) (the straight-through sigmoid
// estimator TBH uses).
class StochasticBinary : public Module {
 public:
  explicit StochasticBinary(std::shared_ptr<Generator> gen) : gen_(std::move(gen)) {}
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "StochasticBinary"; }

 private:
  std::shared_ptr<Generator> gen_;
};

}  // namespace he::nn
