// Every optimiser, every option that changes its update, on CUDA against the CPU: the same
// parameters, gradients and steps give the same parameters and state within rounding (the
// CUDA kernels fuse multiply-adds the CPU rounds twice). Also: a parameter that is a view,
// gradient clipping and the non-finite check on a device. Skipped without a CUDA device.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "../engine/cuda_test_util.h"
#include "engine/engine.h"
#include "optim/optim.h"

namespace he::optim {
namespace {

using Make = std::function<std::unique_ptr<Optimizer>(std::vector<Tensor>)>;

struct OptimCase {
  std::string name;
  Make make;
};

std::vector<OptimCase> optim_cases() {
  return {
      {"sgd", [](auto p) { return std::make_unique<SGD>(p, SGDOptions{.lr = 0.1}); }},
      {"sgd_momentum_wd",
       [](auto p) {
         return std::make_unique<SGD>(
             p, SGDOptions{.lr = 0.05, .momentum = 0.9, .dampening = 0.1, .weight_decay = 1e-2});
       }},
      {"sgd_nesterov",
       [](auto p) {
         return std::make_unique<SGD>(p, SGDOptions{.lr = 0.05, .momentum = 0.9, .nesterov = true});
       }},
      {"adam", [](auto p) { return std::make_unique<Adam>(p, AdamOptions{.lr = 1e-2}); }},
      {"adam_amsgrad_wd",
       [](auto p) {
         return std::make_unique<Adam>(
             p, AdamOptions{.lr = 1e-2, .weight_decay = 1e-2, .amsgrad = true});
       }},
      {"adamw", [](auto p) { return std::make_unique<AdamW>(p, AdamWOptions{.lr = 1e-2}); }},
      {"rmsprop", [](auto p) { return std::make_unique<RMSprop>(p, RMSpropOptions{.lr = 1e-2}); }},
      {"rmsprop_centered_momentum",
       [](auto p) {
         return std::make_unique<RMSprop>(
             p,
             RMSpropOptions{.lr = 1e-2, .weight_decay = 1e-3, .momentum = 0.9, .centered = true});
       }},
  };
}

// Parameters (a matrix large enough for the parallel CPU path, a vector) on `dev`, in `dt`.
std::vector<Tensor> make_params(DType dt, Device dev) {
  Generator g(5);
  std::vector<Tensor> ps = {Tensor::randn({300, 200}, g, dt).to(dev),
                            Tensor::randn({17}, g, dt).to(dev)};
  for (Tensor& p : ps) p.requires_grad_();
  return ps;
}

// Five steps with the same pseudo-random gradients; returns the parameters on the CPU.
std::vector<Tensor> run_steps(const OptimCase& c, DType dt, Device dev) {
  std::vector<Tensor> ps = make_params(dt, dev);
  std::unique_ptr<Optimizer> opt = c.make(ps);
  Generator g(11);
  for (int step = 0; step < 5; ++step) {
    for (Tensor& p : ps) p.set_grad(Tensor::randn(p.shape(), g, dt).to(dev));
    opt->step();
  }
  for (Tensor& p : ps) EXPECT_EQ(p.device(), dev) << c.name;
  std::vector<Tensor> out;
  for (const Tensor& p : ps) out.push_back(p.detach().to(Device::cpu()));
  return out;
}

void expect_close(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  const auto g = got.to_vector<double>(), w = want.to_vector<double>();
  ASSERT_EQ(g.size(), w.size()) << what;
  for (size_t i = 0; i < w.size(); ++i)
    ASSERT_NEAR(g[i], w[i], tol * (1 + std::abs(w[i]))) << what << " element " << i;
}

class OptimOnCuda : public ::testing::TestWithParam<OptimCase> {};

TEST_P(OptimOnCuda, StepsMatchCpu) {
  HE_REQUIRE_CUDA();
  const OptimCase& c = GetParam();
  for (auto [dt, tol] : {std::pair{DType::f64, 1e-12}, std::pair{DType::f32, 1e-5}}) {
    const auto cpu = run_steps(c, dt, Device::cpu());
    const auto cuda = run_steps(c, dt, Device::cuda(0));
    for (size_t k = 0; k < cpu.size(); ++k)
      expect_close(cuda[k], cpu[k], tol,
                   c.name + " " + dtype_name(dt) + " param " + std::to_string(k));
  }
}

INSTANTIATE_TEST_SUITE_P(All, OptimOnCuda, ::testing::ValuesIn(optim_cases()),
                         [](const auto& info) { return info.param.name; });

TEST(OptimOnCuda, ViewParameterIsWrittenBack) {
  HE_REQUIRE_CUDA();
  Tensor base = Tensor::zeros({4, 3}, DType::f32, Device::cuda(0));
  Tensor view = base.detach().t();  // a non-contiguous parameter on the device
  view.requires_grad_();
  SGD opt({view}, SGDOptions{.lr = 1.0});
  view.set_grad(Tensor::ones({3, 4}, DType::f32, Device::cuda(0)));
  opt.step();
  EXPECT_EQ(base.to_vector<float>(), std::vector<float>(12, -1.0f));
}

TEST(OptimOnCuda, ClippingAndNonFiniteCheckMatchCpu) {
  HE_REQUIRE_CUDA();
  for (Device dev : {Device::cpu(), Device::cuda(0)}) {
    Tensor p = Tensor::zeros({2, 2}, DType::f32, dev);
    p.requires_grad_();
    p.set_grad(Tensor::from_vector<float>({3, 0, 0, 4}, {2, 2}).to(dev));
    EXPECT_NEAR(clip_grad_norm({p}, 1.0), 5.0, 1e-6) << dev.str();
    const auto g = p.grad().to_vector<float>();
    EXPECT_NEAR(g[0], 0.6f, 1e-6) << dev.str();
    EXPECT_NEAR(g[3], 0.8f, 1e-6) << dev.str();
    EXPECT_EQ(first_nonfinite_grad({p}), -1) << dev.str();
    p.set_grad(Tensor::from_vector<float>({1, NAN, 0, 0}, {2, 2}).to(dev));
    EXPECT_EQ(first_nonfinite_grad({p}), 0) << dev.str();
  }
}

TEST(OptimOnCuda, GradientNormsMatchCpu) {
  HE_REQUIRE_CUDA();
  Generator g(8);
  Tensor grad = Tensor::randn({300000}, g);  // past the CPU's parallel threshold
  for (double p : {2.0, 1.0, 3.0, double(INFINITY)}) {
    double norms[2];
    for (int d = 0; d < 2; ++d) {
      Tensor param = Tensor::zeros({300000}, DType::f32, d ? Device::cuda(0) : Device::cpu());
      param.requires_grad_();
      param.set_grad(grad.to(param.device()));
      norms[d] = clip_grad_norm({param}, 1e30, p);  // never clips: returns the norm
    }
    EXPECT_NEAR(norms[1], norms[0], 1e-12 * norms[0]) << "p = " << p;
  }
}

}  // namespace
}  // namespace he::optim
