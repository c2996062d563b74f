// softmax and log_softmax along one dim (a row kernel on the dim moved last).
#include <stdexcept>

#include "engine/ops.h"
#include "engine/ops/args.h"
#include "kernels/softmax.h"

namespace he {

namespace {
using V = std::vector<Tensor>;

Tensor softmax_raw(const Tensor& x, int64_t dim, bool log) {
  detail::check_cpu(x, log ? "log_softmax" : "softmax");
  Tensor moved = x.detach().transpose(dim, -1).contiguous();
  Tensor out = Tensor::empty(moved.shape(), x.dtype());
  const int64_t cols = moved.numel() ? moved.size(-1) : 0;
  const int64_t rows = cols ? moved.numel() / cols : 0;
  dispatch_floating(x.dtype(), "softmax", [&]<class T>() {
    if (rows) kernels::cpu::softmax_rows(moved.data<T>(), out.data<T>(), rows, cols, log);
  });
  return out.transpose(dim, -1);
}
}  // namespace

Tensor softmax(const Tensor& x, int64_t dim) {
  dim = wrap_dim(dim, x.dim(), "softmax");
  Tensor y = softmax_raw(x, dim, false);
  // dx = y * (g - sum(g * y))
  return attach_grad_fn(y, {x}, "softmax", [dim, y = y.detach()](const Tensor& g) {
    return V{mul(y, sub(g, sum(mul(g, y), {dim}, true)))};
  });
}

Tensor log_softmax(const Tensor& x, int64_t dim) {
  dim = wrap_dim(dim, x.dim(), "log_softmax");
  Tensor y = softmax_raw(x, dim, true);
  // dx = g - softmax * sum(g)
  return attach_grad_fn(y, {x}, "log_softmax", [dim, y = y.detach()](const Tensor& g) {
    return V{sub(g, mul(exp(y), sum(g, {dim}, true)))};
  });
}

}  // namespace he
