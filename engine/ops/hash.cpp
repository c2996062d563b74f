// The hashing ops: sign with a straight-through gradient, the packed bits and the
// quantisation error of sign(h) (each on demand, all from the one fused kernel), and the
// continuation tanh(beta x). Each runs on its input's device.
#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "engine/ops.h"
#include "engine/ops/dispatch.h"
#include "kernels/hash.h"

namespace he {

namespace {
using V = std::vector<Tensor>;

// One pass of the fused kernel over h:(N,bits): b = sign(h), the packed bits when `packed`
// is defined, and sum((h - b)^2) (on the host: the CUDA kernel waits for its own sum).
struct SignPass {
  Tensor hc, b;
  double err = 0;
};
void check_codes_input(const Tensor& h, const char* op) {
  if (h.dim() != 2)
    throw std::invalid_argument(fmt::format("{}: expected h (N,bits), got {}", op, h.shape_str()));
}
SignPass sign_pass(const Tensor& h, const char* op, Tensor packed = Tensor()) {
  check_codes_input(h, op);
  SignPass p{h.contiguous(), Tensor::empty(h.shape(), h.dtype(), h.device())};
  uint64_t* pp = packed.defined() ? packed.data_ptr<uint64_t>() : nullptr;
  const int64_t n = h.size(0), bits = h.size(1);
  dispatch_floating(h.dtype(), op, [&]<class T>() {
    const T* ph = p.hc.data_ptr<T>();
    T* pb = p.b.data_ptr<T>();
    p.err = detail::on_device(h.device(), [&](auto backend) {
      if constexpr (backend.cuda)
        return kernels::cuda::sign_pack(ph, pb, pp, n, bits);
      else
        return kernels::cpu::sign_pack(ph, pb, pp, n, bits);
    });
  });
  return p;
}
}  // namespace

Tensor sign_ste(const Tensor& h, SteGrad mode) {
  SignPass p = sign_pass(h, "sign_ste");
  const bool clipped = mode == SteGrad::Clipped;
  return attach_grad_fn(p.b, {h}, "sign_ste", [hc = p.hc, clipped](const Tensor& g) {
    Tensor gc = g.contiguous(), dh = Tensor::empty(g.shape(), g.dtype(), g.device());
    dispatch_floating(g.dtype(), "sign_ste backward", [&]<class T>() {
      const T *pg = gc.data_ptr<T>(), *ph = hc.data_ptr<T>();
      T* pdh = dh.data_ptr<T>();
      detail::on_device(dh.device(), [&](auto backend) {
        if constexpr (backend.cuda)
          kernels::cuda::sign_ste_backward(pg, ph, pdh, gc.numel(), clipped);
        else
          kernels::cpu::sign_ste_backward(pg, ph, pdh, gc.numel(), clipped);
      });
    });
    return V{dh};
  });
}

Tensor packed_signs(const Tensor& h) {
  check_codes_input(h, "packed_signs");
  Tensor packed = Tensor::empty({h.size(0), (h.size(1) + 63) / 64}, DType::u64, h.device());
  sign_pass(h, "packed_signs", packed);
  return packed;
}

Tensor quant_error(const Tensor& h) {
  SignPass p = sign_pass(h, "quant_error");
  const double count = static_cast<double>(std::max<int64_t>(h.numel(), 1));
  return attach_grad_fn(Tensor::full({}, p.err / count, h.dtype(), h.device()), {h}, "quant_error",
                        [hc = p.hc, b = p.b, count](const Tensor& g) {
                          return V{mul(sub(hc, b), mul(g, 2.0 / count))};
                        });
}

Tensor continuation(const Tensor& x, double beta) {
  Tensor xc = x.contiguous();
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  dispatch_floating(x.dtype(), "continuation", [&]<class T>() {
    const T* px = xc.data_ptr<T>();
    T* py = y.data_ptr<T>();
    detail::on_device(y.device(), [&](auto backend) {
      if constexpr (backend.cuda)
        kernels::cuda::continuation_forward(px, py, xc.numel(), beta);
      else
        kernels::cpu::continuation_forward(px, py, xc.numel(), beta);
    });
  });
  return attach_grad_fn(y, {x}, "continuation", [beta, yd = y.detach()](const Tensor& g) {
    Tensor gc = g.contiguous(), dx = Tensor::empty(g.shape(), g.dtype(), g.device());
    dispatch_floating(g.dtype(), "continuation backward", [&]<class T>() {
      const T *pg = gc.data_ptr<T>(), *py = yd.data_ptr<T>();
      T* pdx = dx.data_ptr<T>();
      detail::on_device(dx.device(), [&](auto backend) {
        if constexpr (backend.cuda)
          kernels::cuda::continuation_backward(pg, py, pdx, gc.numel(), beta);
        else
          kernels::cpu::continuation_backward(pg, py, pdx, gc.numel(), beta);
      });
    });
    return V{dx};
  });
}

}  // namespace he
