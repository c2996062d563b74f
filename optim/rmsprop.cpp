// RMSprop, plain or centred, with optional momentum (PyTorch's torch.optim.RMSprop).
#include <fmt/format.h>

#include <stdexcept>

#include "engine/ops/dispatch.h"
#include "kernels/optim.h"
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
  const kernels::RmspropHyper h{group.lr, group.weight_decay, opt_.alpha, opt_.eps, opt_.momentum};
  dispatch_floating(p.dtype(), "RMSprop.step", [&]<class T>() {
    T* x = p.data_ptr<T>();
    const T* g = grad.data_ptr<T>();
    T* sq = sq_buf.data_ptr<T>();
    T* ga = ga_buf ? ga_buf->data_ptr<T>() : nullptr;
    T* mb = mom_buf ? mom_buf->data_ptr<T>() : nullptr;
    detail::on_device(p.device(), [&](auto backend) {
      if constexpr (backend.cuda)
        kernels::cuda::rmsprop_step(x, g, sq, ga, mb, n, h);
      else
        kernels::cpu::rmsprop_step(x, g, sq, ga, mb, n, h);
    });
  });
}

}  // namespace he::optim
