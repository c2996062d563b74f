// Learning-rate schedules as closed-form functions of the position.
#include "optim/schedule.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace he::optim {

namespace {

void check_t(int64_t t, const char* who) {
  if (t < 0) throw std::invalid_argument(fmt::format("{}: position {} is negative", who, t));
}

}  // namespace

double step_lr(double base, int64_t t, int64_t step_size, double gamma) {
  check_t(t, "step_lr");
  if (step_size <= 0)
    throw std::invalid_argument(fmt::format("step_lr: step_size {} must be > 0", step_size));
  return base * std::pow(gamma, static_cast<double>(t / step_size));
}

double multistep_lr(double base, int64_t t, const std::vector<int64_t>& milestones, double gamma) {
  check_t(t, "multistep_lr");
  const auto passed =
      std::count_if(milestones.begin(), milestones.end(), [t](int64_t m) { return m <= t; });
  return base * std::pow(gamma, static_cast<double>(passed));
}

double exponential_lr(double base, int64_t t, double gamma) {
  check_t(t, "exponential_lr");
  return base * std::pow(gamma, static_cast<double>(t));
}

double cosine_lr(double base, int64_t t, int64_t total, double min_lr, int64_t warmup) {
  check_t(t, "cosine_lr");
  if (total <= 0 || warmup < 0 || warmup > total)
    throw std::invalid_argument(
        fmt::format("cosine_lr: need total > 0 and 0 <= warmup <= total, got total {} warmup {}",
                    total, warmup));
  if (t < warmup) return base * static_cast<double>(t + 1) / static_cast<double>(warmup);
  if (t >= total) return min_lr;
  const double progress = static_cast<double>(t - warmup) / static_cast<double>(total - warmup);
  return min_lr + (base - min_lr) * 0.5 * (1 + std::cos(std::numbers::pi * progress));
}

double inverse_decay_lr(double base, int64_t t, double gamma, double power) {
  check_t(t, "inverse_decay_lr");
  return base * std::pow(1 + gamma * static_cast<double>(t), -power);
}

Schedule step_schedule(int64_t step_size, double gamma) {
  if (step_size <= 0)
    throw std::invalid_argument(fmt::format("step_schedule: step_size {} must be > 0", step_size));
  return [=](double base, int64_t t) { return step_lr(base, t, step_size, gamma); };
}
Schedule multistep_schedule(std::vector<int64_t> milestones, double gamma) {
  return [m = std::move(milestones), gamma](double base, int64_t t) {
    return multistep_lr(base, t, m, gamma);
  };
}
Schedule exponential_schedule(double gamma) {
  return [=](double base, int64_t t) { return exponential_lr(base, t, gamma); };
}
Schedule cosine_schedule(int64_t total, double min_lr, int64_t warmup) {
  cosine_lr(1, 0, total, min_lr, warmup);  // validates the arguments now, not at step time
  return [=](double base, int64_t t) { return cosine_lr(base, t, total, min_lr, warmup); };
}
Schedule inverse_decay_schedule(double gamma, double power) {
  return [=](double base, int64_t t) { return inverse_decay_lr(base, t, gamma, power); };
}

void apply_schedule(Optimizer& opt, const Schedule& schedule, int64_t t) {
  for (size_t g = 0; g < opt.num_groups(); ++g) opt.set_lr(g, schedule(opt.base_lr(g), t));
}

}  // namespace he::optim
