// Adam and AdamW (PyTorch's torch.optim.Adam / AdamW, including amsgrad).
#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

#include "engine/ops/dispatch.h"
#include "kernels/optim.h"
#include "optim/optimizers.h"

namespace he::optim {

namespace {

AdamOptions checked(AdamOptions o, const char* who) {
  auto bad = [&](const char* what, double v) {
    return std::invalid_argument(fmt::format("{}: invalid {} {}", who, what, v));
  };
  if (!(o.lr >= 0)) throw bad("lr", o.lr);
  if (!(o.beta1 >= 0 && o.beta1 < 1)) throw bad("beta1", o.beta1);
  if (!(o.beta2 >= 0 && o.beta2 < 1)) throw bad("beta2", o.beta2);
  if (!(o.eps >= 0)) throw bad("eps", o.eps);
  if (!(o.weight_decay >= 0)) throw bad("weight_decay", o.weight_decay);
  return o;
}

}  // namespace

Adam::Adam(std::vector<Tensor> params, AdamOptions opt)
    : Adam(single_group(std::move(params)), opt, false) {}
Adam::Adam(std::vector<ParamGroup> groups, AdamOptions opt) : Adam(std::move(groups), opt, false) {}
Adam::Adam(std::vector<ParamGroup> groups, AdamOptions opt, bool decoupled)
    : Optimizer(std::move(groups), opt.lr, opt.weight_decay),
      opt_(checked(opt, decoupled ? "AdamW" : "Adam")),
      decoupled_(decoupled) {}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions opt)
    : Adam(single_group(std::move(params)), opt.adam(), true) {}
AdamW::AdamW(std::vector<ParamGroup> groups, AdamWOptions opt)
    : Adam(std::move(groups), opt.adam(), true) {}

void Adam::update(const ParamGroup& group, ParamState& state, Tensor& p, const Tensor& grad) {
  const int64_t t = ++state.step;
  const int64_t n = p.numel();
  const double lr = group.lr, wd = group.weight_decay;
  const double b1 = opt_.beta1, b2 = opt_.beta2;
  const double step_size = lr / (1 - std::pow(b1, static_cast<double>(t)));
  const double bc2_sqrt = std::sqrt(1 - std::pow(b2, static_cast<double>(t)));
  Tensor& m_buf = buffer(state, "exp_avg", p);
  Tensor& v_buf = buffer(state, "exp_avg_sq", p);
  Tensor* vmax_buf = opt_.amsgrad ? &buffer(state, "max_exp_avg_sq", p) : nullptr;
  const kernels::AdamHyper h{
      decoupled_ ? 0 : wd, decoupled_ ? 1 - lr * wd : 1, b1, b2, step_size, bc2_sqrt, opt_.eps};
  dispatch_floating(p.dtype(), name(), [&]<class T>() {
    T* x = p.data_ptr<T>();
    const T* g = grad.data_ptr<T>();
    T* m = m_buf.data_ptr<T>();
    T* v = v_buf.data_ptr<T>();
    T* vmax = vmax_buf ? vmax_buf->data_ptr<T>() : nullptr;
    detail::on_device(p.device(), [&](auto backend) {
      if constexpr (backend.cuda)
        kernels::cuda::adam_step(x, g, m, v, vmax, n, h);
      else
        kernels::cpu::adam_step(x, g, m, v, vmax, n, h);
    });
  });
}

}  // namespace he::optim
