// Double-precision finite-difference checks of the pieces the autoencoding, variational and
// adversarial hashing models add (ConvTranspose2d and the KL terms have theirs in
// tests/engine/test_grad.cpp and tests/nn/test_loss_grad.cpp): Gaussian reparameterisation,
// TBH's code-driven affinity and normalised graph convolution (alone and as the whole twin-
// bottleneck step), and the stochastic binary neuron's gradient rule.
#include <gtest/gtest.h>

#include <cmath>

#include "gradcheck.h"
#include "layers/layers.h"
#include "losses/generic.h"

namespace he {
namespace {

using testing::gradcheck;
using testing::leaf;
using In = std::vector<Tensor>;

TEST(LatentGrad, Reparameterize) {
  // The same noise in every evaluation: a fresh generator with a fixed seed each time.
  auto f = [](const In& x) {
    Generator g(7);
    return nn::reparameterize(x[0], x[1], g);
  };
  EXPECT_TRUE(gradcheck(f, {leaf({3, 5}, 1), leaf({3, 5}, 2, -2, 1)}));
  // And with a KL term on top, as a variational loss uses them.
  auto vae = [&](const In& x) {
    return add(sum(pow(f(x), 2.0)), losses::kl_standard_normal(x[0], x[1]));
  };
  EXPECT_TRUE(gradcheck(vae, {leaf({3, 5}, 3), leaf({3, 5}, 4, -2, 1)}));
}

TEST(LatentGrad, ReparameterizeMatchesItsDefinition) {
  Tensor mu = Tensor::from_vector<double>({0.5, -1, 2}, {1, 3});
  Tensor lv = Tensor::from_vector<double>({0, std::log(4.0), -2}, {1, 3});
  Generator g1(3), g2(3);
  Tensor z = nn::reparameterize(mu, lv, g1);
  Tensor eps = Tensor::randn({1, 3}, g2, DType::f64);
  auto zv = z.to_vector<double>(), ev = eps.to_vector<double>();
  EXPECT_NEAR(zv[0], 0.5 + ev[0], 1e-12);
  EXPECT_NEAR(zv[1], -1 + 2 * ev[1], 1e-12);
  EXPECT_NEAR(zv[2], 2 + std::exp(-1.0) * ev[2], 1e-12);
}

TEST(LatentGrad, CodeAffinity) {
  // Relaxed codes in (0.1, 0.9): every term 2 b_ik b_jk - b_ik - b_jk is negative, so the
  // distance is clear of |.|'s kink and 1 - d of the clamp's ends, the diagonal included.
  EXPECT_TRUE(gradcheck([](const In& x) { return nn::code_affinity(x[0], 1.4); },
                        {leaf({5, 6}, 3, 0.1, 0.9)}));
}

TEST(LatentGrad, CodeAffinityOfBinaryCodesIsHammingBased) {
  Tensor b = Tensor::from_vector<double>({1, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0, 0}, {3, 4});
  auto A = nn::code_affinity(b, 1.4).to_vector<double>();
  const int d[3][3] = {{0, 1, 4}, {1, 0, 3}, {4, 3, 0}};  // Hamming distances of the rows
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(A[i * 3 + j], std::pow(1 - d[i][j] / 4.0, 1.4), 1e-12);
}

TEST(LatentGrad, NormalizedGraphConv) {
  // A positive (a graph's affinities), h any.
  EXPECT_TRUE(gradcheck([](const In& x) { return nn::normalized_graph_conv(x[0], x[1]); },
                        {leaf({4, 4}, 5, 0.2, 1), leaf({4, 3}, 6)}));
}

TEST(LatentGrad, NormalizedGraphConvMatchesTheMatrixForm) {
  Tensor A = Tensor::from_vector<double>({1, 0.5, 0.25, 0.5, 1, 0, 0.25, 0, 1}, {3, 3});
  Tensor h = Tensor::from_vector<double>({1, 2, 3, 4, 5, 6}, {3, 2});
  std::vector<double> dinv(3);
  auto a = A.to_vector<double>();
  for (int i = 0; i < 3; ++i) dinv[i] = 1 / std::sqrt(a[i * 3] + a[i * 3 + 1] + a[i * 3 + 2]);
  auto out = nn::normalized_graph_conv(A, h).to_vector<double>();
  auto hv = h.to_vector<double>();
  for (int i = 0; i < 3; ++i)
    for (int f = 0; f < 2; ++f) {
      double e = 0;
      for (int j = 0; j < 3; ++j) e += dinv[i] * a[i * 3 + j] * dinv[j] * hv[j * 2 + f];
      EXPECT_NEAR(out[i * 2 + f], e, 1e-7);  // the degree's 1e-8 margin
    }
}

TEST(LatentGrad, TwinBottleneckStep) {
  // TBH's step as the model runs it, with relaxed codes b in (0,1): the affinity of the codes
  // drives the graph convolution of the continuous bottleneck z, then a sigmoid. Gradients
  // reach b (through the graph), z and the GCN's weight and bias.
  Generator g(1);
  nn::GraphConv gcn(3, 2, g, DType::f64);
  auto f = [&](const In& x) { return sigmoid(gcn.forward(x[1], nn::code_affinity(x[0], 1.4))); };
  In inputs{leaf({4, 5}, 8, 0.1, 0.9), leaf({4, 3}, 9), gcn.fc->weight, gcn.fc->bias};
  EXPECT_TRUE(gradcheck(f, inputs));
}

TEST(LatentGrad, StochasticBinaryRuleIsTheDerivativeOfTheExpectedCode) {
  // The rule dL/dx = p (1 - p) (dL/db + dL/dp) is the exact derivative of the smooth
  // surrogate in which the code b is replaced by its expectation E[b] = p. Check it against
  // finite differences of that surrogate: b + (p - b).detach() has the value p and the
  // gradient b's rule gives; p itself carries the second term.
  for (bool sample : {true, false}) {
    auto gen = std::make_shared<Generator>(4);
    nn::StochasticBinary sb(gen, sample);
    auto f = [&](const In& x) {
      nn::StochasticBinary::Out o = sb.forward_full(x[0]);
      return concat({add(o.code, sub(o.prob, o.code).detach()), o.prob}, 1);
    };
    EXPECT_TRUE(gradcheck(f, {leaf({4, 6}, 10, -3, 3)})) << "sample " << sample;
    // And the code really is binary, with the deterministic variant thresholding at 0.5.
    Tensor x = leaf({4, 6}, 10, -3, 3);
    nn::StochasticBinary::Out o = sb.forward_full(x);
    auto bv = o.code.detach().to_vector<double>(), xv = x.detach().to_vector<double>();
    for (size_t i = 0; i < bv.size(); ++i) {
      EXPECT_TRUE(bv[i] == 0 || bv[i] == 1);
      if (!sample) {
        EXPECT_EQ(bv[i], xv[i] > 0 ? 1 : 0);
      }
    }
  }
}

}  // namespace
}  // namespace he
