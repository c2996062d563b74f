#pragma once
// Pieces of the autoencoding and variational hashing models: Gaussian reparameterisation, the
// code-driven affinity graph of TBH and its normalised graph convolution. Each is a
// composite of differentiable ops, so its gradient comes from theirs (checked in
// tests/nn/test_latent_grad.cpp).
#include <memory>

#include "layers/linear_conv.h"

namespace he::nn {

// z = mu + exp(logvar / 2) * eps, eps ~ N(0, I) drawn from gen (Kingma & Welling,
// 'Auto-Encoding Variational Bayes', ICLR 2014): differentiable in mu and logvar.
// mu, logvar:(N,D) float -> z:(N,D).
Tensor reparameterize(const Tensor& mu, const Tensor& logvar, Generator& gen);

// TBH's code-driven graph (Shen et al., 'Auto-Encoding Twin-Bottleneck Hashing', CVPR 2020):
// A_ij = (1 - d_ij / bits)^exponent with d_ij = |sum_k b_ik (b_jk - 1) + (b_ik - 1) b_jk|, the
// Hamming distance for codes in {0,1} and its relaxation for values in [0,1]; A_ii = 1 (the
// graph is self-connected). Differentiable in b (through the codes' straight-through
// gradient). b:(N,bits) float -> A:(N,N).
Tensor code_affinity(const Tensor& b, double exponent = 1.4);

// The normalised graph convolution of Kipf & Welling ('Semi-Supervised Classification with
// Graph Convolutional Networks', ICLR 2017) without the added self-loop (A already has one):
// D^-1/2 A D^-1/2 h with D = diag(A 1 + 1e-8), computed as d * (A (d * h)), d = D^-1/2.
// A:(N,N), h:(N,F) -> (N,F).
Tensor normalized_graph_conv(const Tensor& A, const Tensor& h);

// A graph-convolution layer: normalized_graph_conv(A, x W^T + b), W from Linear(in, out).
class GraphConv : public Module {
 public:
  GraphConv(int64_t in, int64_t out, Generator& gen, DType dt = DType::f32);
  Tensor forward(const Tensor& x) override;  // needs the graph: use forward(x, A)
  Tensor forward(const Tensor& x, const Tensor& A);
  std::string name() const override { return "GraphConv"; }
  std::shared_ptr<Linear> fc;
};

}  // namespace he::nn
