// RMSprop, plain or centred, with optional momentum (PyTorch's torch.optim.RMSprop).
#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

#include "optim/optimizers.h"

namespace he::optim {

namespace {

RMSpropOptions checked(RMSpropOptions o) {
  auto bad = [](const char* what, double v) {
    return std::invalid_argument(fmt::format("RMSprop: invalid {} {}", what, v));
  };
  if (!(o.lr >= 0)) throw bad("lr", o.lr);
  if (!(o.alpha >= 0)) throw bad("alpha", o.alpha);
  if (!(o.eps >= 0)) throw bad("eps", o.eps);
  if (!(o.momentum >= 0)) throw bad("momentum", o.momentum);
  if (!(o.weight_decay >= 0)) throw bad("weight_decay", o.weight_decay);
  return o;
}

}  // namespace

RMSprop::RMSprop(std::vector<Tensor> params, RMSpropOptions opt)
    : RMSprop(single_group(std::move(params)), opt) {}
RMSprop::RMSprop(std::vector<ParamGroup> groups, RMSpropOptions opt)
    : Optimizer(std::move(groups), opt.lr, opt.weight_decay), opt_(checked(opt)) {}

void RMSprop::update(const ParamGroup& group, ParamState& state, Tensor& p, const Tensor& grad) {
  ++state.step;
  const int64_t n = p.numel();
  Tensor& sq_buf = buffer(state, "square_avg", p);
  Tensor* ga_buf = opt_.centered ? &buffer(state, "grad_avg", p) : nullptr;
  Tensor* mom_buf = opt_.momentum > 0 ? &buffer(state, "momentum_buffer", p) : nullptr;
  dispatch_floating(p.dtype(), "RMSprop.step", [&]<class T>() {
    T* x = p.data<T>();
    const T* g = grad.data<T>();
    T* sq = sq_buf.data<T>();
    T* ga = ga_buf ? ga_buf->data<T>() : nullptr;
    T* mb = mom_buf ? mom_buf->data<T>() : nullptr;
    const T lr = static_cast<T>(group.lr), wd = static_cast<T>(group.weight_decay);
    const T a = static_cast<T>(opt_.alpha), oa = static_cast<T>(1 - opt_.alpha);
    const T eps = static_cast<T>(opt_.eps), mom = static_cast<T>(opt_.momentum);
#pragma omp parallel for schedule(static) if (n >= kUpdateParallelGrain)
    for (int64_t k = 0; k < n; ++k) {
      const T d = g[k] + wd * x[k];
      sq[k] = a * sq[k] + oa * d * d;
      T var = sq[k];
      if (ga) {
        ga[k] = a * ga[k] + oa * d;
        var -= ga[k] * ga[k];
      }
      const T avg = std::sqrt(var) + eps;
      if (mb) {
        mb[k] = mom * mb[k] + d / avg;
        x[k] -= lr * mb[k];
      } else {
        x[k] -= lr * d / avg;
      }
    }
  });
}

}  // namespace he::optim
