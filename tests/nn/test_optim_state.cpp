// Schedules, gradient clipping, the NaN guard and optimiser state dicts (exact resume).
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <numbers>
#include <vector>

#include "engine/engine.h"
#include "engine/io/safetensors.h"
#include "optim/optim.h"

namespace he::optim {
namespace {

TEST(OptimSchedule, StepMultiStepExponential) {
  EXPECT_DOUBLE_EQ(step_lr(0.1, 0, 30), 0.1);
  EXPECT_DOUBLE_EQ(step_lr(0.1, 29, 30), 0.1);
  EXPECT_NEAR(step_lr(0.1, 30, 30), 0.01, 1e-17);
  EXPECT_NEAR(step_lr(0.1, 65, 30, 0.5), 0.025, 1e-17);
  EXPECT_THROW(step_lr(0.1, 3, 0), std::invalid_argument);
  EXPECT_THROW(step_lr(0.1, -1, 3), std::invalid_argument);
  EXPECT_DOUBLE_EQ(multistep_lr(1.0, 9, {10, 20}), 1.0);
  EXPECT_NEAR(multistep_lr(1.0, 10, {20, 10}), 0.1, 1e-16);
  EXPECT_NEAR(multistep_lr(1.0, 25, {10, 20}), 0.01, 1e-16);
  EXPECT_NEAR(exponential_lr(2.0, 3, 0.5), 0.25, 1e-16);
}

TEST(OptimSchedule, CosineWithWarmup) {
  EXPECT_DOUBLE_EQ(cosine_lr(1.0, 0, 100), 1.0);
  EXPECT_NEAR(cosine_lr(1.0, 50, 100), 0.5, 1e-15);
  EXPECT_NEAR(cosine_lr(1.0, 25, 100), 0.5 * (1 + std::cos(std::numbers::pi / 4)), 1e-15);
  EXPECT_NEAR(cosine_lr(1.0, 50, 100, 0.1), 0.55, 1e-15);
  EXPECT_DOUBLE_EQ(cosine_lr(1.0, 100, 100, 0.1), 0.1);
  EXPECT_DOUBLE_EQ(cosine_lr(1.0, 500, 100, 0.1), 0.1);
  // Warmup 10: 0.1, 0.2, ..., 1.0 at t = 9, cosine from 1.0 at t = 10 to 0 at t = 110.
  EXPECT_NEAR(cosine_lr(1.0, 0, 110, 0, 10), 0.1, 1e-15);
  EXPECT_NEAR(cosine_lr(1.0, 4, 110, 0, 10), 0.5, 1e-15);
  EXPECT_NEAR(cosine_lr(1.0, 9, 110, 0, 10), 1.0, 1e-15);
  EXPECT_NEAR(cosine_lr(1.0, 10, 110, 0, 10), 1.0, 1e-15);
  EXPECT_NEAR(cosine_lr(1.0, 60, 110, 0, 10), 0.5, 1e-15);
  EXPECT_THROW(cosine_schedule(10, 0, 11), std::invalid_argument);
  EXPECT_THROW(cosine_lr(1.0, 0, 0), std::invalid_argument);
}

TEST(OptimSchedule, InverseDecayAndApply) {
  // HashNet: lr * (1 + gamma*iter)^(-power)
  EXPECT_DOUBLE_EQ(inverse_decay_lr(0.0003, 0), 0.0003);
  EXPECT_NEAR(inverse_decay_lr(0.0003, 2000, 0.0005, 0.75), 0.0003 * std::pow(2.0, -0.75), 1e-18);
  EXPECT_NEAR(inverse_decay_lr(1.0, 10, 0.1, 1.0), 0.5, 1e-16);

  Tensor a = Tensor::zeros({2}), b = Tensor::zeros({2});
  SGD opt({ParamGroup{{a}, 0.01}, ParamGroup{{b}, 0.1}}, {});
  const Schedule s = inverse_decay_schedule(0.1, 1.0);
  apply_schedule(opt, s, 10);
  EXPECT_NEAR(opt.lr(0), 0.005, 1e-16);
  EXPECT_NEAR(opt.lr(1), 0.05, 1e-16);  // groups keep their 10x ratio
  apply_schedule(opt, s, 30);           // from base_lr, not compounded on the current lr
  EXPECT_NEAR(opt.lr(0), 0.0025, 1e-16);
  apply_schedule(opt, step_schedule(5, 0.5), 5);
  EXPECT_NEAR(opt.lr(1), 0.05, 1e-16);
  apply_schedule(opt, multistep_schedule({1, 2}), 2);
  EXPECT_NEAR(opt.lr(0), 0.0001, 1e-17);
  apply_schedule(opt, exponential_schedule(0.5), 1);
  EXPECT_NEAR(opt.lr(0), 0.005, 1e-17);
  apply_schedule(opt, cosine_schedule(10), 5);
  EXPECT_NEAR(opt.lr(1), 0.05, 1e-16);
}

Tensor with_grad(const std::vector<double>& v, const std::vector<double>& g) {
  Tensor p = Tensor::from_vector<double>(v);
  p.requires_grad_();
  p.set_grad(Tensor::from_vector<double>(g));
  return p;
}

TEST(OptimClip, GlobalNorm) {
  Tensor a = with_grad({0, 0}, {3, 0}), b = with_grad({0, 0}, {0, 4});
  Tensor none = Tensor::zeros({3}, DType::f64);  // no gradient: skipped
  const double total = clip_grad_norm({a, b, none}, 1.0);
  EXPECT_DOUBLE_EQ(total, 5.0);
  const double c = 1.0 / (5.0 + 1e-6);
  EXPECT_NEAR(a.grad().to_vector<double>()[0], 3 * c, 1e-15);
  EXPECT_NEAR(b.grad().to_vector<double>()[1], 4 * c, 1e-15);
  // Below the limit nothing changes.
  Tensor d = with_grad({0}, {0.5});
  EXPECT_DOUBLE_EQ(clip_grad_norm({d}, 1.0), 0.5);
  EXPECT_DOUBLE_EQ(d.grad().to_vector<double>()[0], 0.5);
  // Infinity norm and p = 1.
  Tensor e = with_grad({0, 0}, {-6, 2});
  EXPECT_DOUBLE_EQ(clip_grad_norm({e}, 3.0, std::numeric_limits<double>::infinity()), 6.0);
  EXPECT_NEAR(e.grad().to_vector<double>()[0], -6 * 3 / (6 + 1e-6), 1e-12);
  Tensor f = with_grad({0, 0}, {-6, 2});
  EXPECT_DOUBLE_EQ(clip_grad_norm({f}, 100.0, 1.0), 8.0);
  EXPECT_THROW(clip_grad_norm({f}, 1.0, 0.0), std::invalid_argument);
}

TEST(OptimClip, Float32LargeAndNonFinite) {
  Tensor p = Tensor::zeros({100000});
  p.requires_grad_();
  p.set_grad(Tensor::full({100000}, 2.0));
  const double total = clip_grad_norm({p}, 1.0);
  EXPECT_NEAR(total, 2.0 * std::sqrt(100000.0), 1e-6);
  EXPECT_NEAR(norm(p.grad()).item<float>(), 1.0, 1e-5);

  Tensor ok = with_grad({1}, {1});
  Tensor bad = with_grad({1, 2}, {1, std::nan("")});
  Tensor inf = with_grad({1}, {std::numeric_limits<double>::infinity()});
  Tensor none = Tensor::zeros({1}, DType::f64);
  EXPECT_EQ(first_nonfinite_grad({ok, none}), -1);
  EXPECT_EQ(first_nonfinite_grad({ok, none, bad, inf}), 2);
  EXPECT_EQ(first_nonfinite_grad({inf, bad}), 0);
  EXPECT_TRUE(std::isnan(clip_grad_norm({ok, bad}, 1.0)));
  EXPECT_DOUBLE_EQ(ok.grad().to_vector<double>()[0], 1.0);  // not scaled by a NaN
  Tensor big = Tensor::zeros({200000});
  big.requires_grad_();
  Tensor g = Tensor::zeros({200000});
  g.data<float>()[150000] = std::numeric_limits<float>::infinity();
  big.set_grad(g);
  EXPECT_EQ(first_nonfinite_grad({ok, big}), 1);
}

using Factory = std::function<std::unique_ptr<Optimizer>(std::vector<ParamGroup>)>;

// Runs 3 steps, saves the state, rebuilds a fresh optimiser on copies of the parameters,
// loads the state, then runs 3 more steps on both: the parameters must agree exactly.
void check_resume(const Factory& make) {
  Generator gen(7);
  std::vector<Tensor> grads;
  for (int s = 0; s < 6; ++s) grads.push_back(Tensor::randn({5}, gen));
  Tensor a = Tensor::randn({5}, gen), b = Tensor::randn({5}, gen);
  a.requires_grad_();
  b.requires_grad_();
  auto opt = make({ParamGroup{{a}}, ParamGroup{{b}, 0.003}});
  auto feed = [&](Optimizer& o, Tensor& x, Tensor& y, int s) {
    x.set_grad(grads[s]);
    y.set_grad(mul(grads[s], 0.5));
    o.step();
  };
  for (int s = 0; s < 3; ++s) feed(*opt, a, b, s);
  opt->set_lr(0, 0.002);  // a schedule moved the rate: the dict must carry it
  const StateDict dict = opt->state_dict();
  EXPECT_DOUBLE_EQ(dict.scalars.at("state.0.0.step"), 3.0);
  EXPECT_DOUBLE_EQ(dict.scalars.at("group.0.lr"), 0.002);

  Tensor a2 = a.detach().clone(), b2 = b.detach().clone();
  a2.requires_grad_();
  b2.requires_grad_();
  auto resumed = make({ParamGroup{{a2}}, ParamGroup{{b2}, 0.003}});
  resumed->load_state_dict(dict);
  EXPECT_DOUBLE_EQ(resumed->lr(0), 0.002);
  for (int s = 3; s < 6; ++s) {
    feed(*opt, a, b, s);
    feed(*resumed, a2, b2, s);
  }
  EXPECT_EQ(a.to_vector<float>(), a2.to_vector<float>()) << opt->name();
  EXPECT_EQ(b.to_vector<float>(), b2.to_vector<float>()) << opt->name();
  // The saved dict is a copy: later steps did not change it.
  const StateDict again = opt->state_dict();
  for (const auto& [key, t] : dict.tensors)
    EXPECT_NE(t.to_vector<float>(), again.tensors.at(key).to_vector<float>()) << key;
}

TEST(OptimState, RoundTripGivesIdenticalContinuedSteps) {
  check_resume([](std::vector<ParamGroup> g) {
    return std::make_unique<SGD>(std::move(g), SGDOptions{.lr = 0.01, .momentum = 0.9});
  });
  check_resume([](std::vector<ParamGroup> g) {
    return std::make_unique<Adam>(std::move(g), AdamOptions{.lr = 0.01, .amsgrad = true});
  });
  check_resume([](std::vector<ParamGroup> g) {
    return std::make_unique<AdamW>(std::move(g), AdamWOptions{.lr = 0.01});
  });
  check_resume([](std::vector<ParamGroup> g) {
    return std::make_unique<RMSprop>(std::move(g),
                                     RMSpropOptions{.momentum = 0.5, .centered = true});
  });
}

TEST(OptimState, KeysAndMismatches) {
  Tensor p = Tensor::zeros({3});
  p.requires_grad_();
  Adam opt({p}, {});
  StateDict empty = opt.state_dict();
  EXPECT_TRUE(empty.tensors.empty());  // nothing stepped yet
  p.set_grad(Tensor::ones({3}));
  opt.step();
  const StateDict dict = opt.state_dict();
  EXPECT_EQ(dict.tensors.size(), 2u);
  EXPECT_TRUE(dict.tensors.count("state.0.0.exp_avg"));
  EXPECT_TRUE(dict.tensors.count("state.0.0.exp_avg_sq"));

  StateDict bad = dict;
  bad.tensors["state.0.0.exp_avg"] = Tensor::zeros({4});
  EXPECT_THROW(opt.load_state_dict(bad), std::invalid_argument);
  bad = dict;
  bad.tensors["state.1.0.exp_avg"] = Tensor::zeros({3});
  EXPECT_THROW(opt.load_state_dict(bad), std::invalid_argument);
  bad = dict;
  bad.tensors["state.0.0.velocity"] = Tensor::zeros({3});
  EXPECT_THROW(opt.load_state_dict(bad), std::invalid_argument);
  bad = dict;
  bad.scalars.erase("group.0.lr");
  EXPECT_THROW(opt.load_state_dict(bad), std::invalid_argument);
  bad = dict;
  bad.scalars["state.0.0.step"] = 1.5;
  EXPECT_THROW(opt.load_state_dict(bad), std::invalid_argument);
  // A failed load left the optimiser as it was.
  EXPECT_DOUBLE_EQ(opt.state_dict().scalars.at("state.0.0.step"), 1.0);
}

TEST(OptimState, ResumeThroughSafetensorsCheckpoint) {
  // Weights and optimiser state in one file, as the trainer keeps them; a fresh process
  // (fresh tensors, fresh optimiser) continues with bit-identical steps.
  Generator gen(11);
  std::vector<Tensor> grads;
  for (int s = 0; s < 6; ++s) grads.push_back(Tensor::randn({2, 3}, gen));
  Tensor w = Tensor::randn({2, 3}, gen);
  w.requires_grad_();
  AdamW opt({w}, {.lr = 0.01});
  for (int s = 0; s < 3; ++s) {
    w.set_grad(grads[s]);
    opt.step();
  }
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("hashengine_optim_" + std::to_string(::getpid()) + ".safetensors"))
                               .string();
  TensorList tensors = {{"fc.weight", w.detach()}};
  Metadata meta = {{"model", "test"}};
  add_to_checkpoint(opt.state_dict(), tensors, meta);
  save_safetensors(path, tensors, meta);

  const SafetensorsFile file = load_safetensors(path);
  std::filesystem::remove(path);
  Tensor w2 = file.tensors.at("fc.weight");
  w2.requires_grad_();
  AdamW resumed({w2}, {.lr = 0.5});  // the checkpoint's rate replaces this one
  const StateDict dict = state_dict_from_checkpoint(file);
  EXPECT_EQ(dict.tensors.size(), 2u);  // exp_avg, exp_avg_sq; not fc.weight
  resumed.load_state_dict(dict);
  EXPECT_DOUBLE_EQ(resumed.lr(0), 0.01);
  for (int s = 3; s < 6; ++s) {
    w.set_grad(grads[s]);
    opt.step();
    w2.set_grad(grads[s]);
    resumed.step();
  }
  EXPECT_EQ(w.to_vector<float>(), w2.to_vector<float>());

  SafetensorsFile bad = file;
  bad.metadata["optimizer.group.0.lr"] = "fast";
  EXPECT_THROW(state_dict_from_checkpoint(bad), std::invalid_argument);
}

}  // namespace
}  // namespace he::optim
