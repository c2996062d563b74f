#pragma once
// Learning-rate schedules: each is a pure function of the position t (iteration or epoch,
// counted from 0) and a group's base rate, so a schedule's whole state is t and resuming is
// calling it again with the saved t. apply_schedule() sets every group's lr from its
// base_lr (groups keep their ratios, e.g. a hash layer at 10x the backbone).
#include <cstdint>
#include <functional>
#include <vector>

#include "optim/optimizer.h"

namespace he::optim {

// base * gamma^floor(t / step_size)  (PyTorch StepLR)
double step_lr(double base, int64_t t, int64_t step_size, double gamma = 0.1);
// base * gamma^(number of milestones <= t)  (PyTorch MultiStepLR; milestones any order)
double multistep_lr(double base, int64_t t, const std::vector<int64_t>& milestones,
                    double gamma = 0.1);
// base * gamma^t  (PyTorch ExponentialLR)
double exponential_lr(double base, int64_t t, double gamma);
// Linear warmup base*(t+1)/warmup for t < warmup, then a half cosine from base at
// t = warmup down to min_lr at t = total (PyTorch CosineAnnealingLR's closed form when
// warmup = 0); min_lr from t = total on.
double cosine_lr(double base, int64_t t, int64_t total, double min_lr = 0, int64_t warmup = 0);
// HashNet's inverse decay (Caffe's "inv" policy): base * (1 + gamma*t)^(-power).
double inverse_decay_lr(double base, int64_t t, double gamma = 0.0005, double power = 0.75);

// A schedule: lr from (base_lr, t).
using Schedule = std::function<double(double base_lr, int64_t t)>;

Schedule step_schedule(int64_t step_size, double gamma = 0.1);
Schedule multistep_schedule(std::vector<int64_t> milestones, double gamma = 0.1);
Schedule exponential_schedule(double gamma);
Schedule cosine_schedule(int64_t total, double min_lr = 0, int64_t warmup = 0);
Schedule inverse_decay_schedule(double gamma = 0.0005, double power = 0.75);

// Sets each group's lr to schedule(group.base_lr, t).
void apply_schedule(Optimizer& opt, const Schedule& schedule, int64_t t);

}  // namespace he::optim
