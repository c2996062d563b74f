#pragma once
// Hash layers: the fused sign-STE and continuation ops as modules, and a stochastic binary
// neuron. Each returns codes/activations of the same shape as its input.
#include <memory>

#include "layers/module.h"

namespace he::nn {

// b = sign(h) (sign(0) = +1) with a straight-through gradient (GreedyHash, Su et al.,
// 'Greedy Hash: Towards Fast Optimization for Accurate Hash Coding in CNN', NeurIPS 2018).
// The packed bits and the quantisation error of the same h are ops of their own
// (packed_signs, quant_error), computed only where wanted.
class SignSTE : public Module {
 public:
  explicit SignSTE(SteGrad grad = SteGrad::Identity) : grad_(grad) {}
  Tensor forward(const Tensor& h) override { return sign_ste(h, grad_); }
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
// eval, or always with sample = false), output in {0,1}; gradient dL/dx = dL/db * p (1 - p)
// (the straight-through sigmoid estimator TBH uses: the derivative of E[b] = p).
// forward_full() also returns p itself; through both, dL/dx = p (1 - p) (dL/db + dL/dp), the
// rule of TBH's binary bottleneck (Shen et al., 'Auto-Encoding Twin-Bottleneck Hashing',
// CVPR 2020), whose reference code thresholds at 0.5 in training too (sample = false).
class StochasticBinary : public Module {
 public:
  struct Out {
    Tensor code, prob;  // b in {0,1} and p, both (N,bits)
  };
  // gen: the sampling stream (may be null when sample is false).
  explicit StochasticBinary(std::shared_ptr<Generator> gen, bool sample = true)
      : gen_(std::move(gen)), sample_(sample) {}
  Tensor forward(const Tensor& x) override { return forward_full(x).code; }
  Out forward_full(const Tensor& x);
  std::string name() const override { return "StochasticBinary"; }

 private:
  std::shared_ptr<Generator> gen_;
  bool sample_;
};

}  // namespace he::nn
