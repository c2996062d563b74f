// SGD with momentum, dampening, Nesterov and L2 weight decay (PyTorch's torch.optim.SGD).
#include <fmt/format.h>

#include <stdexcept>

#include "optim/optimizers.h"

namespace he::optim {

namespace {

SGDOptions checked(SGDOptions o) {
  if (!(o.lr >= 0)) throw std::invalid_argument(fmt::format("SGD: invalid lr {}", o.lr));
  if (!(o.momentum >= 0))
    throw std::invalid_argument(fmt::format("SGD: invalid momentum {}", o.momentum));
  if (!(o.weight_decay >= 0))
    throw std::invalid_argument(fmt::format("SGD: invalid weight_decay {}", o.weight_decay));
  if (o.nesterov && (o.momentum <= 0 || o.dampening != 0))
    throw std::invalid_argument("SGD: Nesterov momentum needs momentum > 0 and dampening == 0");
  return o;
}

}  // namespace

SGD::SGD(std::vector<Tensor> params, SGDOptions opt) : SGD(single_group(std::move(params)), opt) {}
SGD::SGD(std::vector<ParamGroup> groups, SGDOptions opt)
    : Optimizer(std::move(groups), opt.lr, opt.weight_decay), opt_(checked(opt)) {}

void SGD::update(const ParamGroup& group, ParamState& state, Tensor& p, const Tensor& grad) {
  ++state.step;
  const int64_t n = p.numel();
  const double lr = group.lr, wd = group.weight_decay, m = opt_.momentum;
  bool first = false;
  Tensor* buf = m != 0 ? &buffer(state, "momentum_buffer", p, &first) : nullptr;
  dispatch_floating(p.dtype(), "SGD.step", [&]<class T>() {
    T* x = p.data<T>();
    const T* g = grad.data<T>();
    T* b = buf ? buf->data<T>() : nullptr;
    const T tlr = static_cast<T>(lr), twd = static_cast<T>(wd), tm = static_cast<T>(m);
    const T keep = static_cast<T>(1 - opt_.dampening);
    const bool nesterov = opt_.nesterov;
#pragma omp parallel for schedule(static) if (n >= kUpdateParallelGrain)
    for (int64_t k = 0; k < n; ++k) {
      T d = g[k] + twd * x[k];
      if (b) {
        b[k] = first ? d : tm * b[k] + keep * d;
        d = nesterov ? d + tm * b[k] : b[k];
      }
      x[k] -= tlr * d;
    }
  });
}

}  // namespace he::optim
