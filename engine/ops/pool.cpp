// Pooling ops over (N,C,H,W) on the input's device; max pooling saves the argmax indices for
// its backward.
#include <fmt/format.h>

#include <stdexcept>

#include "engine/ops.h"
#include "engine/ops/args.h"
#include "engine/ops/dispatch.h"
#include "kernels/pool.h"

namespace he {

namespace {
using V = std::vector<Tensor>;

kernels::PoolGeom pool_geom(const Tensor& x, int64_t k, int64_t stride, int64_t pad,
                            const char* op) {
  if (x.dim() != 4)
    throw std::invalid_argument(fmt::format("{}: expected (N,C,H,W), got {}", op, x.shape_str()));
  if (stride == 0) stride = k;
  if (k <= 0 || stride <= 0 || pad < 0 || pad * 2 > k)
    throw std::invalid_argument(
        fmt::format("{}: bad kernel {} / stride {} / padding {}", op, k, stride, pad));
  kernels::PoolGeom g{x.size(0) * x.size(1), x.size(2), x.size(3), 0, 0, k, stride, pad};
  g.oh = (g.h + 2 * pad - k) / stride + 1;
  g.ow = (g.w + 2 * pad - k) / stride + 1;
  if (g.oh <= 0 || g.ow <= 0)
    throw std::invalid_argument(
        fmt::format("{}: input {} smaller than the {}x{} window", op, x.shape_str(), k, k));
  return g;
}

}  // namespace

Tensor max_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t pad) {
  const kernels::PoolGeom g = pool_geom(x, kernel, stride, pad, "max_pool2d");
  const Device dev = x.device();
  Tensor xc = x.contiguous();
  Tensor out = Tensor::empty({x.size(0), x.size(1), g.oh, g.ow}, x.dtype(), dev);
  Tensor idx = Tensor::empty(out.shape(), DType::i64, dev);
  detail::on_device_floating(dev, x.dtype(), "max_pool2d", [&]<class T>(auto backend) {
    const T* px = xc.data_ptr<T>();
    T* py = out.data_ptr<T>();
    int64_t* pi = idx.data_ptr<int64_t>();
    if constexpr (backend.cuda)
      kernels::cuda::max_pool2d(g, px, py, pi);
    else
      kernels::cpu::max_pool2d(g, px, py, pi);
  });
  Shape xs = x.shape();
  return attach_grad_fn(out, {x}, "max_pool2d", [g, idx, xs, dev](const Tensor& grad) {
    Tensor gc = grad.contiguous(), gx = Tensor::empty(xs, grad.dtype(), dev);
    detail::on_device_floating(dev, grad.dtype(), "max_pool2d backward",
                               [&]<class T>(auto backend) {
                                 const T* pg = gc.data_ptr<T>();
                                 const int64_t* pi = idx.data_ptr<int64_t>();
                                 T* px = gx.data_ptr<T>();
                                 if constexpr (backend.cuda)
                                   kernels::cuda::max_pool2d_backward(g, pg, pi, px);
                                 else
                                   kernels::cpu::max_pool2d_backward(g, pg, pi, px);
                               });
    return V{gx};
  });
}

Tensor avg_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t pad) {
  const kernels::PoolGeom g = pool_geom(x, kernel, stride, pad, "avg_pool2d");
  const Device dev = x.device();
  Tensor xc = x.contiguous();
  Tensor out = Tensor::empty({x.size(0), x.size(1), g.oh, g.ow}, x.dtype(), dev);
  detail::on_device_floating(dev, x.dtype(), "avg_pool2d", [&]<class T>(auto backend) {
    if constexpr (backend.cuda)
      kernels::cuda::avg_pool2d(g, xc.data_ptr<T>(), out.data_ptr<T>());
    else
      kernels::cpu::avg_pool2d(g, xc.data_ptr<T>(), out.data_ptr<T>());
  });
  Shape xs = x.shape();
  return attach_grad_fn(out, {x}, "avg_pool2d", [g, xs, dev](const Tensor& grad) {
    Tensor gc = grad.contiguous(), gx = Tensor::empty(xs, grad.dtype(), dev);
    detail::on_device_floating(
        dev, grad.dtype(), "avg_pool2d backward", [&]<class T>(auto backend) {
          if constexpr (backend.cuda)
            kernels::cuda::avg_pool2d_backward(g, gc.data_ptr<T>(), gx.data_ptr<T>());
          else
            kernels::cpu::avg_pool2d_backward(g, gc.data_ptr<T>(), gx.data_ptr<T>());
        });
    return V{gx};
  });
}

Tensor adaptive_avg_pool2d(const Tensor& x, int64_t oh, int64_t ow) {
  if (x.dim() != 4 || oh <= 0 || ow <= 0)
    throw std::invalid_argument(
        fmt::format("adaptive_avg_pool2d: input {} to {}x{}", x.shape_str(), oh, ow));
  const Device dev = x.device();
  const int64_t planes = x.size(0) * x.size(1), h = x.size(2), w = x.size(3);
  Tensor xc = x.contiguous();
  Tensor out = Tensor::empty({x.size(0), x.size(1), oh, ow}, x.dtype(), dev);
  detail::on_device_floating(dev, x.dtype(), "adaptive_avg_pool2d", [&]<class T>(auto backend) {
    if constexpr (backend.cuda)
      kernels::cuda::adaptive_avg_pool2d(planes, h, w, oh, ow, xc.data_ptr<T>(), out.data_ptr<T>());
    else
      kernels::cpu::adaptive_avg_pool2d(planes, h, w, oh, ow, xc.data_ptr<T>(), out.data_ptr<T>());
  });
  Shape xs = x.shape();
  return attach_grad_fn(out, {x}, "adaptive_avg_pool2d", [=](const Tensor& grad) {
    Tensor gc = grad.contiguous(), gx = Tensor::empty(xs, grad.dtype(), dev);
    detail::on_device_floating(
        dev, grad.dtype(), "adaptive_avg_pool2d backward", [&]<class T>(auto backend) {
          const T* pg = gc.data_ptr<T>();
          T* px = gx.data_ptr<T>();
          if constexpr (backend.cuda)
            kernels::cuda::adaptive_avg_pool2d_backward(planes, h, w, oh, ow, pg, px);
          else
            kernels::cpu::adaptive_avg_pool2d_backward(planes, h, w, oh, ow, pg, px);
        });
    return V{gx};
  });
}

}  // namespace he
