// SGD with momentum, dampening, Nesterov and L2 weight decay (PyTorch's torch.optim.SGD).
#include <fmt/format.h>

#include <stdexcept>

#include "engine/ops/dispatch.h"
#include "kernels/optim.h"
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
  const kernels::SgdHyper h{lr, wd, m, opt_.dampening, opt_.nesterov, first};
  dispatch_floating(p.dtype(), "SGD.step", [&]<class T>() {
    T* x = p.data_ptr<T>();
    const T* g = grad.data_ptr<T>();
    T* b = buf ? buf->data_ptr<T>() : nullptr;
    detail::on_device(p.device(), [&](auto backend) {
      if constexpr (backend.cuda)
        kernels::cuda::sgd_step(x, g, b, n, h);
      else
        kernels::cpu::sgd_step(x, g, b, n, h);
    });
  });
}

}  // namespace he::optim
