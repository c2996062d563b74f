// The hashing ops: sign with a straight-through gradient (codes, packed bits and the
// quantisation error from one pass) and the continuation tanh(beta x).
#include <fmt/format.h>

#include <stdexcept>

#include "engine/ops.h"
#include "engine/ops/dispatch.h"
#include "kernels/hash.h"

namespace he {

namespace {
using V = std::vector<Tensor>;
}

SignSte sign_ste(const Tensor& h, SteGrad mode) {
  if (h.dim() != 2)
    throw std::invalid_argument("sign_ste: expected h (N,bits), got " + h.shape_str());
  const int64_t n = h.size(0), bits = h.size(1);
  Tensor hc = h.contiguous();
  Tensor b = Tensor::empty(h.shape(), h.dtype(), h.device());
  Tensor packed = Tensor::empty({n, (bits + 63) / 64}, DType::u64, h.device());
  double err = 0;  // on the host: the CUDA kernel waits for its own sum
  dispatch_floating(h.dtype(), "sign_ste", [&]<class T>() {
    const T* ph = hc.data_ptr<T>();
    T* pb = b.data_ptr<T>();
    uint64_t* pp = packed.data_ptr<uint64_t>();
    err = detail::on_device(h.device(), [&](auto backend) {
      if constexpr (backend.cuda)
        return kernels::cuda::sign_pack(ph, pb, pp, n, bits);
      else
        return kernels::cpu::sign_pack(ph, pb, pp, n, bits);
    });
  });
  const double count = static_cast<double>(std::max<int64_t>(n * bits, 1));
  const bool clipped = mode == SteGrad::Clipped;
  SignSte out;
  out.packed = packed;
  out.codes = attach_grad_fn(b, {h}, "sign_ste", [hc, clipped](const Tensor& g) {
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
  out.quant_error =
      attach_grad_fn(Tensor::full({}, err / count, h.dtype(), h.device()), {h},
                     "sign_ste_quant_error", [hc, b = b.detach(), count](const Tensor& g) {
                       return V{mul(sub(hc, b), mul(g, 2.0 / count))};
                     });
  return out;
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
