// Optimisers against PyTorch's update rules written out in plain loops here (double
// precision, one element at a time), on small tensors with known gradients; then each one
// minimises a quadratic through the engine's autograd.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "engine/engine.h"
#include "optim/optim.h"

namespace he::optim {
namespace {

using Vec = std::vector<double>;

const Vec kInit = {1.0, -2.0, 3.0, 0.5};
// One gradient per step: signs flip and magnitudes vary, so momentum terms matter.
const std::vector<Vec> kGrads = {
    {0.5, -1.0, 2.0, 0.1}, {-0.3, 0.4, 1.5, -0.2}, {0.2, 0.2, -0.7, 0.3}, {1.0, -0.5, 0.1, 0.0}};

Tensor param(const Vec& v, DType dt = DType::f64) {
  Tensor p = Tensor::from_vector<double>(v).to(dt);
  p.requires_grad_();
  return p;
}

// Runs `opt` over kGrads on `p` and returns its values after each step.
std::vector<Vec> run(Optimizer& opt, Tensor& p, DType dt = DType::f64) {
  std::vector<Vec> out;
  for (const Vec& g : kGrads) {
    p.set_grad(Tensor::from_vector<double>(g).to(dt));
    opt.step();
    out.push_back(p.to(DType::f64).to_vector<double>());
  }
  return out;
}

// Applies `rule(index, x, g)` (which updates x and its own state) over kGrads.
std::vector<Vec> reference(const std::function<void(int, double&, double)>& rule) {
  Vec x = kInit;
  std::vector<Vec> out;
  for (const Vec& g : kGrads) {
    for (size_t k = 0; k < x.size(); ++k) rule(static_cast<int>(k), x[k], g[k]);
    out.push_back(x);
  }
  return out;
}

void expect_near(const std::vector<Vec>& got, const std::vector<Vec>& want, double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t s = 0; s < got.size(); ++s)
    for (size_t k = 0; k < got[s].size(); ++k)
      EXPECT_NEAR(got[s][k], want[s][k], tol) << "step " << s << " element " << k;
}

// PyTorch SGD, one element at a time.
std::vector<Vec> sgd_reference(double lr, double mom, double damp, double wd, bool nesterov) {
  Vec buf(kInit.size(), 0);
  std::vector<bool> started(kInit.size(), false);
  return reference([&](int k, double& x, double g) {
    double d = g + wd * x;
    if (mom != 0) {
      buf[k] = started[k] ? mom * buf[k] + (1 - damp) * d : d;
      started[k] = true;
      d = nesterov ? d + mom * buf[k] : buf[k];
    }
    x -= lr * d;
  });
}

TEST(OptimSGD, PlainAndWeightDecay) {
  Tensor p = param(kInit);
  SGD opt({p}, {.lr = 0.1, .weight_decay = 0.01});
  expect_near(run(opt, p), sgd_reference(0.1, 0, 0, 0.01, false), 1e-14);
  // First step by hand: 1 - 0.1*(0.5 + 0.01*1) = 0.949.
  Tensor q = param(kInit);
  SGD one({q}, {.lr = 0.1, .weight_decay = 0.01});
  q.set_grad(Tensor::from_vector<double>(kGrads[0]));
  one.step();
  EXPECT_NEAR(q.to_vector<double>()[0], 0.949, 1e-15);
}

TEST(OptimSGD, MomentumDampening) {
  Tensor p = param(kInit);
  SGD opt({p}, {.lr = 0.05, .momentum = 0.9, .dampening = 0.2, .weight_decay = 0.001});
  expect_near(run(opt, p), sgd_reference(0.05, 0.9, 0.2, 0.001, false), 1e-14);
}

TEST(OptimSGD, Nesterov) {
  Tensor p = param(kInit);
  SGD opt({p}, {.lr = 0.05, .momentum = 0.9, .weight_decay = 0.01, .nesterov = true});
  const auto got = run(opt, p);
  expect_near(got, sgd_reference(0.05, 0.9, 0, 0.01, true), 1e-14);
  // Nesterov differs from heavy-ball momentum from the second step on.
  const auto heavy = sgd_reference(0.05, 0.9, 0, 0.01, false);
  EXPECT_GT(std::abs(got[1][0] - heavy[1][0]), 1e-4);
  EXPECT_THROW(SGD({param(kInit)}, {.lr = 0.1, .nesterov = true}), std::invalid_argument);
  EXPECT_THROW(SGD({param(kInit)}, {.lr = -1}), std::invalid_argument);
}

// PyTorch Adam / AdamW, one element at a time.
std::vector<Vec> adam_reference(double lr, double b1, double b2, double eps, double wd,
                                bool decoupled, bool amsgrad) {
  Vec m(kInit.size(), 0), v(kInit.size(), 0), vmax(kInit.size(), 0);
  std::vector<int> t(kInit.size(), 0);
  return reference([&](int k, double& x, double g) {
    const int step = ++t[k];
    if (decoupled) {
      x *= 1 - lr * wd;
    } else {
      g += wd * x;
    }
    m[k] = b1 * m[k] + (1 - b1) * g;
    v[k] = b2 * v[k] + (1 - b2) * g * g;
    vmax[k] = std::max(vmax[k], v[k]);
    const double m_hat = m[k] / (1 - std::pow(b1, step));
    const double v_used = amsgrad ? vmax[k] : v[k];
    // eps outside the square root, added after the bias correction of v.
    const double denom = std::sqrt(v_used) / std::sqrt(1 - std::pow(b2, step)) + eps;
    x -= lr * m_hat / denom;
  });
}

TEST(OptimAdam, MatchesReference) {
  Tensor p = param(kInit);
  Adam opt({p}, {.lr = 0.01, .beta1 = 0.8, .beta2 = 0.95, .eps = 1e-3, .weight_decay = 0.1});
  expect_near(run(opt, p), adam_reference(0.01, 0.8, 0.95, 1e-3, 0.1, false, false), 1e-14);
  EXPECT_STREQ(opt.name(), "Adam");
}

TEST(OptimAdam, FirstStepIsLrTimesSign) {
  // With bias correction and tiny eps the first step moves each element by about lr.
  Tensor p = param(kInit);
  Adam opt({p}, {.lr = 0.01, .eps = 1e-12});
  p.set_grad(Tensor::from_vector<double>(kGrads[0]));
  opt.step();
  const Vec x = p.to_vector<double>();
  for (size_t k = 0; k < x.size(); ++k)
    EXPECT_NEAR(x[k], kInit[k] - 0.01 * (kGrads[0][k] > 0 ? 1 : -1), 1e-9);
}

TEST(OptimAdam, AmsGrad) {
  Tensor p = param(kInit);
  Adam opt({p}, {.lr = 0.02, .beta1 = 0.5, .beta2 = 0.6, .weight_decay = 0.05, .amsgrad = true});
  expect_near(run(opt, p), adam_reference(0.02, 0.5, 0.6, 1e-8, 0.05, false, true), 1e-13);
}

TEST(OptimAdamW, DecoupledDecay) {
  Tensor p = param(kInit);
  AdamW opt({p}, {.lr = 0.01, .weight_decay = 0.1});
  const auto got = run(opt, p);
  expect_near(got, adam_reference(0.01, 0.9, 0.999, 1e-8, 0.1, true, false), 1e-14);
  EXPECT_STREQ(opt.name(), "AdamW");
  // Adam (L2 in the gradient) takes a different path with the same weight decay...
  Tensor q = param(kInit);
  Adam adam({q}, {.lr = 0.01, .weight_decay = 0.1});
  const auto l2 = run(adam, q);
  EXPECT_GT(std::abs(got[3][0] - l2[3][0]), 1e-5);
  // ...and the same one without it.
  Tensor a = param(kInit), b = param(kInit);
  Adam plain({a}, {.lr = 0.01});
  AdamW decoupled({b}, {.lr = 0.01, .weight_decay = 0});
  expect_near(run(plain, a), run(decoupled, b), 0);
  EXPECT_DOUBLE_EQ(AdamWOptions{}.weight_decay, 1e-2);  // PyTorch's default
}

// PyTorch RMSprop, one element at a time.
std::vector<Vec> rmsprop_reference(double lr, double alpha, double eps, double wd, double mom,
                                   bool centered) {
  Vec sq(kInit.size(), 0), ga(kInit.size(), 0), buf(kInit.size(), 0);
  return reference([&](int k, double& x, double g) {
    g += wd * x;
    sq[k] = alpha * sq[k] + (1 - alpha) * g * g;
    double avg = sq[k];
    if (centered) {
      ga[k] = alpha * ga[k] + (1 - alpha) * g;
      avg -= ga[k] * ga[k];
    }
    avg = std::sqrt(avg) + eps;
    if (mom > 0) {
      buf[k] = mom * buf[k] + g / avg;
      x -= lr * buf[k];
    } else {
      x -= lr * g / avg;
    }
  });
}

TEST(OptimRMSprop, Plain) {
  Tensor p = param(kInit);
  RMSprop opt({p}, {.lr = 0.01, .alpha = 0.9});
  expect_near(run(opt, p), rmsprop_reference(0.01, 0.9, 1e-8, 0, 0, false), 1e-14);
}

TEST(OptimRMSprop, CenteredMomentumWeightDecay) {
  Tensor p = param(kInit);
  RMSprop opt({p}, {.lr = 0.01,
                    .alpha = 0.8,
                    .eps = 1e-4,
                    .weight_decay = 0.05,
                    .momentum = 0.7,
                    .centered = true});
  expect_near(run(opt, p), rmsprop_reference(0.01, 0.8, 1e-4, 0.05, 0.7, true), 1e-13);
}

TEST(Optim, Float32MatchesDoubleReference) {
  Tensor p = param(kInit, DType::f32);
  Adam opt({p}, {.lr = 0.01, .weight_decay = 0.1});
  expect_near(run(opt, p, DType::f32), adam_reference(0.01, 0.9, 0.999, 1e-8, 0.1, false, false),
              1e-6);
}

TEST(Optim, GroupsSkipsAndZeroGrad) {
  Tensor a = param(kInit), b = param(kInit), c = param(kInit);
  SGD opt({ParamGroup{{a, c}}, ParamGroup{{b}, 1.0, 0.5}}, {.lr = 0.1});
  EXPECT_EQ(opt.num_groups(), 2u);
  EXPECT_DOUBLE_EQ(opt.lr(0), 0.1);
  EXPECT_DOUBLE_EQ(opt.lr(1), 1.0);
  EXPECT_DOUBLE_EQ(opt.base_lr(1), 1.0);
  EXPECT_DOUBLE_EQ(opt.groups()[1].weight_decay, 0.5);
  a.set_grad(Tensor::ones({4}, DType::f64));
  b.set_grad(Tensor::ones({4}, DType::f64));
  opt.step();  // c has no gradient: untouched
  EXPECT_NEAR(a.to_vector<double>()[0], 1 - 0.1, 1e-15);
  EXPECT_NEAR(b.to_vector<double>()[0], 1 - 1.0 * (1 + 0.5 * 1), 1e-15);
  EXPECT_EQ(c.to_vector<double>(), kInit);
  opt.zero_grad();
  EXPECT_FALSE(a.grad().defined());
  EXPECT_FALSE(b.grad().defined());
  opt.step();  // no gradients: nothing moves
  EXPECT_NEAR(a.to_vector<double>()[0], 0.9, 1e-15);
  Tensor wrong = param(kInit);
  SGD bad({wrong}, {.lr = 0.1});
  wrong.set_grad(Tensor::ones({2}, DType::f64));
  EXPECT_THROW(bad.step(), std::invalid_argument);
  EXPECT_THROW(SGD({Tensor::zeros({2}, DType::i64)}, {}), std::invalid_argument);
  EXPECT_THROW(SGD({ParamGroup{{a}}, ParamGroup{{a}}}, {}), std::invalid_argument);
}

TEST(Optim, NonContiguousParameterIsWrittenBack) {
  Tensor base = Tensor::from_vector<double>({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor p = base.t().detach();  // (3,2) view of base's storage
  p.requires_grad_();
  ASSERT_FALSE(p.is_contiguous());
  SGD opt({p}, {.lr = 0.5});
  p.set_grad(Tensor::ones({3, 2}, DType::f64));
  opt.step();
  EXPECT_EQ(base.to_vector<double>(), (Vec{0.5, 1.5, 2.5, 3.5, 4.5, 5.5}));
}

TEST(Optim, LargeTensorParallelPathMatchesSerial) {
  // Above the parallel grain the update runs under OpenMP; it must equal the one-thread
  // result element for element (each element's update is independent).
  const int64_t n = 3 * kUpdateParallelGrain + 7;
  Generator gen(3);
  Tensor init = Tensor::randn({n}, gen), grad = Tensor::randn({n}, gen);
  Tensor big = init.clone(), small_ref = init.clone();
  big.requires_grad_();
  Adam opt({big}, {.lr = 0.01, .weight_decay = 0.01});
  big.set_grad(grad);
  opt.step();
  const float* x = big.data<float>();
  const float* g = grad.data<float>();
  const float* x0 = init.data<float>();
  for (int64_t k = 0; k < n; k += 4099) {
    const double d = g[k] + 0.01 * x0[k];
    const double want = x0[k] - 0.01 * d / (std::abs(d) + 1e-8);
    EXPECT_NEAR(x[k], want, 1e-5) << k;
  }
}

// f(x) = sum (x - c)^2 through the engine's autograd, minimised by each optimiser.
void minimise_quadratic(const std::function<std::unique_ptr<Optimizer>(Tensor)>& make, int steps) {
  const Tensor c = Tensor::from_vector<float>({3, -1, 0.5f, 2});
  Tensor x = Tensor::zeros({4});
  x.requires_grad_();
  auto opt = make(x);
  for (int s = 0; s < steps; ++s) {
    opt->zero_grad();
    Tensor d = sub(x, c);
    sum(mul(d, d)).backward();
    opt->step();
  }
  EXPECT_FALSE(x.grad().requires_grad());  // the step recorded nothing
  const auto got = x.to_vector<float>();
  for (size_t k = 0; k < got.size(); ++k) EXPECT_NEAR(got[k], c.to_vector<float>()[k], 1e-3);
}

TEST(Optim, MinimisesQuadratic) {
  minimise_quadratic(
      [](Tensor x) { return std::make_unique<SGD>(std::vector{x}, SGDOptions{.lr = 0.1}); }, 100);
  minimise_quadratic(
      [](Tensor x) {
        return std::make_unique<SGD>(std::vector{x},
                                     SGDOptions{.lr = 0.05, .momentum = 0.9, .nesterov = true});
      },
      200);
  minimise_quadratic(
      [](Tensor x) { return std::make_unique<Adam>(std::vector{x}, AdamOptions{.lr = 0.1}); }, 500);
  minimise_quadratic(
      [](Tensor x) {
        return std::make_unique<AdamW>(std::vector{x}, AdamWOptions{.lr = 0.1, .weight_decay = 0});
      },
      500);
  minimise_quadratic(
      [](Tensor x) {
        return std::make_unique<RMSprop>(
            std::vector{x}, RMSpropOptions{.lr = 0.01, .momentum = 0.5, .centered = true});
      },
      1500);
}

}  // namespace
}  // namespace he::optim
