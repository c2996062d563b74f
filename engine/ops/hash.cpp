// The hashing ops: sign with a straight-through gradient (codes, packed bits and the
// quantisation error from one pass) and the continuation tanh(beta x).
#include <fmt/format.h>

#include <stdexcept>

#include "engine/ops.h"
#include "engine/ops/args.h"
#include "kernels/hash.h"

namespace he {

namespace {
using V = std::vector<Tensor>;
}

SignSte sign_ste(const Tensor& h, SteGrad mode) {
  detail::check_cpu(h, "sign_ste");
  if (h.dim() != 2)
    throw std::invalid_argument("sign_ste: expected h (N,bits), got " + h.shape_str());
  const int64_t n = h.size(0), bits = h.size(1);
  Tensor hc = h.contiguous();
  Tensor b = Tensor::empty(h.shape(), h.dtype());
  Tensor packed = Tensor::empty({n, (bits + 63) / 64}, DType::u64);
  double err = 0;
  dispatch_floating(h.dtype(), "sign_ste", [&]<class T>() {
    err = kernels::cpu::sign_pack(hc.data<T>(), b.data<T>(), packed.data<uint64_t>(), n, bits);
  });
  const double count = static_cast<double>(std::max<int64_t>(n * bits, 1));
  const bool clipped = mode == SteGrad::Clipped;
  SignSte out;
  out.packed = packed;
  out.codes = attach_grad_fn(b, {h}, "sign_ste", [hc, clipped](const Tensor& g) {
    Tensor gc = g.contiguous(), dh = Tensor::empty(g.shape(), g.dtype());
    dispatch_floating(g.dtype(), "sign_ste backward", [&]<class T>() {
      kernels::cpu::sign_ste_backward(gc.data<T>(), hc.data<T>(), dh.data<T>(), gc.numel(),
                                      clipped);
    });
    return V{dh};
  });
  out.quant_error =
      attach_grad_fn(Tensor::scalar(err / count, h.dtype()), {h}, "sign_ste_quant_error",
                     [hc, b = b.detach(), count](const Tensor& g) {
                       return V{mul(sub(hc, b), mul(g, 2.0 / count))};
                     });
  return out;
}

Tensor continuation(const Tensor& x, double beta) {
  detail::check_cpu(x, "continuation");
  Tensor xc = x.contiguous();
  Tensor y = Tensor::empty(x.shape(), x.dtype());
  dispatch_floating(x.dtype(), "continuation", [&]<class T>() {
    kernels::cpu::continuation_forward(xc.data<T>(), y.data<T>(), xc.numel(), beta);
  });
  return attach_grad_fn(y, {x}, "continuation", [beta, yd = y.detach()](const Tensor& g) {
    Tensor gc = g.contiguous(), dx = Tensor::empty(g.shape(), g.dtype());
    dispatch_floating(g.dtype(), "continuation backward", [&]<class T>() {
      kernels::cpu::continuation_backward(gc.data<T>(), yd.data<T>(), dx.data<T>(), gc.numel(),
                                          beta);
    });
    return V{dx};
  });
}

}  // namespace he
