// 2-D convolution and transposed convolution, each one fused op with a hand-written backward
// that calls the kernels of kernels/conv.h.
#include <fmt/format.h>

#include <stdexcept>
#include <vector>

#include "engine/ops.h"
#include "engine/ops/args.h"
#include "engine/ops/dispatch.h"
#include "kernels/conv.h"

namespace he {

namespace {
using V = std::vector<Tensor>;
using kernels::ConvGeom;

// Geometry of the convolution that reads `in` (N,C,H,W) with a KHxKW kernel and writes
// `out_channels`.
ConvGeom geometry(const Shape& in, int64_t kh, int64_t kw, int64_t out_channels,
                  const Conv2dOptions& o, const char* op) {
  ConvGeom g{in[0],   in[1],   in[2],   in[3],   kh, kw, o.stride_h,   o.stride_w,
             o.pad_h, o.pad_w, o.dil_h, o.dil_w, 0,  0,  out_channels, o.groups};
  if (g.sh <= 0 || g.sw <= 0 || g.dh <= 0 || g.dw <= 0 || g.ph < 0 || g.pw < 0)
    throw std::invalid_argument(
        fmt::format("{}: stride and dilation must be positive, padding >= 0", op));
  g.oh = (g.h + 2 * g.ph - g.dh * (kh - 1) - 1) / g.sh + 1;
  g.ow = (g.w + 2 * g.pw - g.dw * (kw - 1) - 1) / g.sw + 1;
  if (g.oh <= 0 || g.ow <= 0)
    throw std::invalid_argument(
        fmt::format("{}: input {} too small for a {}x{} kernel", op, shape_to_string(in), kh, kw));
  return g;
}

template <class T>
T* ptr_or_null(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

// Checks dtypes, devices and ranks; returns the device of the inputs.
Device check_conv_args(const Tensor& x, const Tensor& w, const Tensor& b, int64_t groups,
                       const char* op) {
  detail::check_same({x, w}, op);
  if (b.defined()) detail::check_same({x, b}, op);
  if (x.dim() != 4 || w.dim() != 4)
    throw std::invalid_argument(
        fmt::format("{}: expected x (N,C,H,W) and a 4-D weight, got {} and {}", op, x.shape_str(),
                    w.shape_str()));
  if (groups <= 0) throw std::invalid_argument(fmt::format("{}: groups must be positive", op));
  if (!is_floating(x.dtype())) throw std::invalid_argument(fmt::format("{}: expected f32/f64", op));
  return x.device();
}
}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dOptions& o) {
  const Device dev = check_conv_args(x, w, b, o.groups, "conv2d");
  const int64_t O = w.size(0), G = o.groups;
  if (x.size(1) != w.size(1) * G || O % G != 0 || (b.defined() && (b.dim() != 1 || b.size(0) != O)))
    throw std::invalid_argument(
        fmt::format("conv2d: input {} does not fit weight {} (groups {}) and bias {}",
                    x.shape_str(), w.shape_str(), G, b.defined() ? b.shape_str() : "none"));
  const ConvGeom g = geometry(x.shape(), w.size(2), w.size(3), O, o, "conv2d");
  Tensor xc = x.contiguous(), wc = w.contiguous();
  Tensor bc = b.defined() ? b.contiguous() : Tensor();
  Tensor out = Tensor::empty({g.n, O, g.oh, g.ow}, x.dtype(), dev);
  dispatch_floating(x.dtype(), "conv2d", [&]<class T>() {
    const T *px = xc.data_ptr<T>(), *pw = wc.data_ptr<T>(), *pb = ptr_or_null<T>(bc);
    T* py = out.data_ptr<T>();
    detail::on_device(dev, [&](auto backend) {
      if constexpr (backend.cuda)
        kernels::cuda::conv2d_forward(g, px, pw, pb, py);
      else
        kernels::cpu::conv2d_forward(g, px, pw, pb, py);
    });
  });
  return attach_grad_fn(out, {x, w, b}, "conv2d", [=](const Tensor& grad) {
    Tensor gc = grad.contiguous(), gx, gw, gb;
    if (x.requires_grad()) gx = Tensor::empty(xc.shape(), gc.dtype(), dev);
    if (w.requires_grad()) gw = Tensor::empty(wc.shape(), gc.dtype(), dev);
    if (b.defined() && b.requires_grad()) gb = Tensor::empty({O}, gc.dtype(), dev);
    dispatch_floating(gc.dtype(), "conv2d backward", [&]<class T>() {
      const T *px = xc.data_ptr<T>(), *pw = wc.data_ptr<T>(), *pg = gc.data_ptr<T>();
      T *pgx = ptr_or_null<T>(gx), *pgw = ptr_or_null<T>(gw), *pgb = ptr_or_null<T>(gb);
      detail::on_device(dev, [&](auto backend) {
        if constexpr (backend.cuda)
          kernels::cuda::conv2d_backward(g, px, pw, pg, pgx, pgw, pgb);
        else
          kernels::cpu::conv2d_backward(g, px, pw, pg, pgx, pgw, pgb);
      });
    });
    return V{gx, gw, gb};
  });
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dOptions& o) {
  const Device dev = check_conv_args(x, w, b, o.groups, "conv_transpose2d");
  const int64_t G = o.groups, Cin = x.size(1), O = w.size(1) * G, KH = w.size(2), KW = w.size(3);
  if (w.size(0) != Cin || Cin % G != 0 || (b.defined() && (b.dim() != 1 || b.size(0) != O)))
    throw std::invalid_argument(
        fmt::format("conv_transpose2d: input {} does not fit weight {} (groups {}) and bias {}",
                    x.shape_str(), w.shape_str(), G, b.defined() ? b.shape_str() : "none"));
  const int64_t N = x.size(0), H = x.size(2), W = x.size(3);
  const int64_t OH = (H - 1) * o.stride_h - 2 * o.pad_h + o.dil_h * (KH - 1) + o.out_pad_h + 1;
  const int64_t OW = (W - 1) * o.stride_w - 2 * o.pad_w + o.dil_w * (KW - 1) + o.out_pad_w + 1;
  if (OH <= 0 || OW <= 0)
    throw std::invalid_argument("conv_transpose2d: empty output for input " + x.shape_str());
  // The convolution that maps the output (N,O,OH,OW) back to x's spatial size, Cin channels.
  const ConvGeom g = geometry({N, O, OH, OW}, KH, KW, Cin, o, "conv_transpose2d");
  if (g.oh != H || g.ow != W)
    throw std::invalid_argument("conv_transpose2d: output padding does not match the stride for " +
                                x.shape_str());
  Tensor xc = x.contiguous(), wc = w.contiguous();
  Tensor bc = b.defined() ? b.contiguous() : Tensor();
  Tensor out = Tensor::empty({N, O, OH, OW}, x.dtype(), dev);
  dispatch_floating(x.dtype(), "conv_transpose2d", [&]<class T>() {
    const T *px = xc.data_ptr<T>(), *pw = wc.data_ptr<T>(), *pb = ptr_or_null<T>(bc);
    T* py = out.data_ptr<T>();
    detail::on_device(dev, [&](auto backend) {
      if constexpr (backend.cuda)
        kernels::cuda::conv_transpose2d_forward(g, px, pw, pb, py);
      else
        kernels::cpu::conv_transpose2d_forward(g, px, pw, pb, py);
    });
  });
  return attach_grad_fn(out, {x, w, b}, "conv_transpose2d", [=](const Tensor& grad) {
    Tensor gc = grad.contiguous(), gx, gw, gb;
    if (x.requires_grad()) gx = Tensor::empty(xc.shape(), gc.dtype(), dev);
    if (w.requires_grad()) gw = Tensor::empty(wc.shape(), gc.dtype(), dev);
    if (b.defined() && b.requires_grad()) gb = Tensor::empty({O}, gc.dtype(), dev);
    dispatch_floating(gc.dtype(), "conv_transpose2d backward", [&]<class T>() {
      const T *px = xc.data_ptr<T>(), *pw = wc.data_ptr<T>(), *pg = gc.data_ptr<T>();
      T *pgx = ptr_or_null<T>(gx), *pgw = ptr_or_null<T>(gw), *pgb = ptr_or_null<T>(gb);
      detail::on_device(dev, [&](auto backend) {
        if constexpr (backend.cuda)
          kernels::cuda::conv_transpose2d_backward(g, px, pw, pg, pgx, pgw, pgb);
        else
          kernels::cpu::conv_transpose2d_backward(g, px, pw, pg, pgx, pgw, pgb);
      });
    });
    return V{gx, gw, gb};
  });
}

}  // namespace he
