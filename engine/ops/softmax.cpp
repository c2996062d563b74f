// softmax and log_softmax along one dim (a row kernel on the dim moved last).
#include <stdexcept>

#include "engine/ops.h"
#include "engine/ops/dispatch.h"
#include "kernels/softmax.h"

namespace he {

namespace {
using V = std::vector<Tensor>;

Tensor softmax_raw(const Tensor& x, int64_t dim, bool log) {
  Tensor moved = x.detach().transpose(dim, -1).contiguous();
  Tensor out = Tensor::empty(moved.shape(), x.dtype(), x.device());
  const int64_t cols = moved.numel() ? moved.size(-1) : 0;
  const int64_t rows = cols ? moved.numel() / cols : 0;
  dispatch_floating(x.dtype(), "softmax", [&]<class T>() {
    if (!rows) return;
    const T* px = moved.data_ptr<T>();
    T* py = out.data_ptr<T>();
    detail::on_device(out.device(), [&](auto backend) {
      if constexpr (backend.cuda)
        kernels::cuda::softmax_rows(px, py, rows, cols, log);
      else
        kernels::cpu::softmax_rows(px, py, rows, cols, log);
    });
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
