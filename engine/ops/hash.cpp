// The hashing ops: sign with a straight-through gradient, the packed bits and the
// quantisation error of sign(h) (each on demand, all from the one fused kernel), and the
// continuation tanh(beta x).
#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "engine/ops.h"
#include "engine/ops/broadcast.h"
#include "kernels/hash.h"

namespace he {

namespace {
using V = std::vector<Tensor>;
}

namespace {
// One pass of the fused kernel over h:(N,bits): b = sign(h), the packed bits when `packed`
// is defined, and sum((h - b)^2).
struct SignPass {
  Tensor hc, b;
  double err = 0;
};
void check_codes_input(const Tensor& h, const char* op) {
  detail::check_cpu(h, op);
  if (h.dim() != 2)
    throw std::invalid_argument(fmt::format("{}: expected h (N,bits), got {}", op, h.shape_str()));
}
SignPass sign_pass(const Tensor& h, const char* op, Tensor packed = Tensor()) {
  check_codes_input(h, op);
  SignPass p{h.contiguous(), Tensor::empty(h.shape(), h.dtype())};
  uint64_t* bits_out = packed.defined() ? packed.data<uint64_t>() : nullptr;
  dispatch_floating(h.dtype(), op, [&]<class T>() {
    p.err = kernels::cpu::sign_pack(p.hc.data<T>(), p.b.data<T>(), bits_out, h.size(0), h.size(1));
  });
  return p;
}
}  // namespace

Tensor sign_ste(const Tensor& h, SteGrad mode) {
  SignPass p = sign_pass(h, "sign_ste");
  const bool clipped = mode == SteGrad::Clipped;
  return attach_grad_fn(p.b, {h}, "sign_ste", [hc = p.hc, clipped](const Tensor& g) {
    Tensor gc = g.contiguous(), dh = Tensor::empty(g.shape(), g.dtype());
    dispatch_floating(g.dtype(), "sign_ste backward", [&]<class T>() {
      kernels::cpu::sign_ste_backward(gc.data<T>(), hc.data<T>(), dh.data<T>(), gc.numel(),
                                      clipped);
    });
    return V{dh};
  });
}

Tensor packed_signs(const Tensor& h) {
  check_codes_input(h, "packed_signs");
  Tensor packed = Tensor::empty({h.size(0), (h.size(1) + 63) / 64}, DType::u64);
  sign_pass(h, "packed_signs", packed);
  return packed;
}

Tensor quant_error(const Tensor& h) {
  SignPass p = sign_pass(h, "quant_error");
  const double count = static_cast<double>(std::max<int64_t>(h.numel(), 1));
  return attach_grad_fn(Tensor::scalar(p.err / count, h.dtype()), {h}, "quant_error",
                        [hc = p.hc, b = p.b, count](const Tensor& g) {
                          return V{mul(sub(hc, b), mul(g, 2.0 / count))};
                        });
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
