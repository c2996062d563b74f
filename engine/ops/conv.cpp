// 2-D convolution and transposed convolution as im2col + GEMM, each a fused op with a
// hand-written backward (the saved column matrix is reused for the weight gradient).
#include <fmt/format.h>

#include <omp.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "engine/ops.h"
#include "engine/ops/args.h"
#include "kernels/blas.h"
#include "kernels/conv.h"
#include "kernels/norm.h"

namespace he {

namespace {
using V = std::vector<Tensor>;
using kernels::ConvGeom;

// Geometry of the convolution that reads `in` (N,C,H,W) with a KHxKW kernel.
ConvGeom geometry(const Shape& in, int64_t kh, int64_t kw, const Conv2dOptions& o, const char* op) {
  ConvGeom g{in[0],      in[1],   in[2],   in[3],   kh,      kw, o.stride_h,
             o.stride_w, o.pad_h, o.pad_w, o.dil_h, o.dil_w, 0,  0};
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

// (N, C, P) contiguous <-> (C, N*P) contiguous, with an optional per-channel bias added.
template <class T>
void nc_to_cn(const T* src, T* dst, int64_t n, int64_t c, int64_t p) {
#pragma omp parallel for collapse(2) schedule(static) if (n * c * p >= (1 << 15))
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < c; ++j)
      std::copy(src + (i * c + j) * p, src + (i * c + j + 1) * p, dst + (j * n + i) * p);
}
template <class T>
void cn_to_nc(const T* src, T* dst, int64_t n, int64_t c, int64_t p, const T* bias) {
#pragma omp parallel for collapse(2) schedule(static) if (n * c * p >= (1 << 15))
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < c; ++j) {
      const T* s = src + (j * n + i) * p;
      T* d = dst + (i * c + j) * p;
      const T add = bias ? bias[j] : T(0);
      for (int64_t k = 0; k < p; ++k) d[k] = s[k] + add;
    }
}

// Per group: C(rows_c, cols) = op(A) @ op(B) with the group's row blocks.
template <class T>
void grouped_gemm(int64_t groups, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a,
                  int64_t lda, int64_t a_step, const T* b, int64_t ldb, int64_t b_step, T* c,
                  int64_t c_step) {
  for (int64_t gi = 0; gi < groups; ++gi)
    kernels::cpu::gemm(ta, tb, m, n, k, T(1), a + gi * a_step, lda, b + gi * b_step, ldb, T(0),
                       c + gi * c_step, n);
}

// The batch-parallel path, used when there are at least as many images as threads: each
// thread convolves whole images with a private column buffer of one image (it stays in
// cache) and single-threaded GEMMs (OpenBLAS runs sequentially inside an OpenMP region).
// The (C*K*K, N*P) column matrix of the batched path, 80 MB for the small CNN's second
// layer at batch 128, is never built, and the (N,C,P) <-> (C,N*P) layout passes vanish
// because one image's GEMM output (O,P) is already its NCHW slice. The backward pass
// recomputes the columns instead of keeping them.
bool per_image_path(int64_t n) { return n >= kernels::cpu::num_threads(); }

template <class T>
void conv_forward_per_image(const ConvGeom& g, int64_t G, int64_t Og, int64_t CgKK, const T* x,
                            const T* w, const T* bias, T* out) {
  const int64_t P = g.oh * g.ow, xs = g.c * g.h * g.w, os = G * Og * P;
  ConvGeom one = g;
  one.n = 1;
#pragma omp parallel
  {
    std::vector<T> cols(static_cast<size_t>(G * CgKK * P));
#pragma omp for schedule(static)
    for (int64_t i = 0; i < g.n; ++i) {
      kernels::cpu::im2col(one, x + i * xs, cols.data());
      T* o = out + i * os;
      grouped_gemm<T>(G, false, false, Og, P, CgKK, w, CgKK, Og * CgKK, cols.data(), P, CgKK * P, o,
                      Og * P);
      if (bias)
        for (int64_t c = 0; c < G * Og; ++c)
          for (int64_t k = 0; k < P; ++k) o[c * P + k] += bias[c];
    }
  }
}

// gw (if not null) = sum over images of grad_i @ cols_i^T, accumulated per thread and summed
// in thread order (deterministic for a thread count); gx (if not null) = col2im(W^T grad_i).
template <class T>
void conv_backward_per_image(const ConvGeom& g, int64_t G, int64_t Og, int64_t CgKK, const T* x,
                             const T* w, const T* grad, T* gw, T* gx) {
  const int64_t P = g.oh * g.ow, xs = g.c * g.h * g.w, os = G * Og * P, wn = G * Og * CgKK;
  ConvGeom one = g;
  one.n = 1;
  std::vector<std::vector<T>> partial(static_cast<size_t>(kernels::cpu::num_threads()));
#pragma omp parallel
  {
    std::vector<T> cols(static_cast<size_t>(G * CgKK * P));
    std::vector<T>& gw_t = partial[static_cast<size_t>(omp_get_thread_num())];
    if (gw) gw_t.assign(static_cast<size_t>(wn), T(0));
#pragma omp for schedule(static)
    for (int64_t i = 0; i < g.n; ++i) {
      const T* gi = grad + i * os;
      if (gw) {
        kernels::cpu::im2col(one, x + i * xs, cols.data());
        for (int64_t k = 0; k < G; ++k)
          kernels::cpu::gemm(false, true, Og, CgKK, P, T(1), gi + k * Og * P, P,
                             cols.data() + k * CgKK * P, P, T(1), gw_t.data() + k * Og * CgKK,
                             CgKK);
      }
      if (gx) {
        grouped_gemm<T>(G, true, false, CgKK, P, Og, w, CgKK, Og * CgKK, gi, P, Og * P, cols.data(),
                        CgKK * P);
        kernels::cpu::col2im(one, cols.data(), gx + i * xs);
      }
    }
  }
  if (!gw) return;
  std::fill(gw, gw + wn, T(0));
  for (const auto& p : partial)
    if (!p.empty())
      for (int64_t k = 0; k < wn; ++k) gw[k] += p[k];
}

// Bias gradient of an (N,O,H,W) gradient: its per-channel sums.
Tensor bias_grad(const Tensor& g) {
  Tensor gc = g.contiguous();
  Tensor out = Tensor::empty({gc.size(1)}, gc.dtype());
  dispatch_floating(gc.dtype(), "conv bias grad", [&]<class T>() {
    kernels::cpu::channel_sum(gc.data<T>(), out.data<T>(), gc.size(0), gc.size(1),
                              gc.size(2) * gc.size(3));
  });
  return out;
}

void check_conv_args(const Tensor& x, const Tensor& w, const Tensor& b, int64_t groups,
                     const char* op) {
  detail::check_same({x, w}, op);
  detail::check_cpu(x, op);
  if (b.defined()) detail::check_same({x, b}, op);
  if (x.dim() != 4 || w.dim() != 4)
    throw std::invalid_argument(
        fmt::format("{}: expected x (N,C,H,W) and a 4-D weight, got {} and {}", op, x.shape_str(),
                    w.shape_str()));
  if (groups <= 0) throw std::invalid_argument(fmt::format("{}: groups must be positive", op));
  if (!is_floating(x.dtype())) throw std::invalid_argument(fmt::format("{}: expected f32/f64", op));
}
}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dOptions& o) {
  check_conv_args(x, w, b, o.groups, "conv2d");
  const int64_t O = w.size(0), G = o.groups;
  if (x.size(1) != w.size(1) * G || O % G != 0 || (b.defined() && (b.dim() != 1 || b.size(0) != O)))
    throw std::invalid_argument(
        fmt::format("conv2d: input {} does not fit weight {} (groups {}) and bias {}",
                    x.shape_str(), w.shape_str(), G, b.defined() ? b.shape_str() : "none"));
  ConvGeom g = geometry(x.shape(), w.size(2), w.size(3), o, "conv2d");
  const int64_t P = g.oh * g.ow, NP = g.n * P, Og = O / G, CgKK = w.size(1) * g.kh * g.kw;
  Tensor xc = x.contiguous(), wc = w.contiguous();
  Tensor out = Tensor::empty({g.n, O, g.oh, g.ow}, x.dtype());
  Tensor bc = b.defined() ? b.contiguous() : Tensor();
  if (per_image_path(g.n)) {
    dispatch_floating(x.dtype(), "conv2d", [&]<class T>() {
      conv_forward_per_image<T>(g, G, Og, CgKK, xc.data<T>(), wc.data<T>(),
                                bc.defined() ? bc.data<T>() : nullptr, out.data<T>());
    });
    return attach_grad_fn(out, {x, w, b}, "conv2d", [=](const Tensor& grad) {
      Tensor gc = grad.contiguous(), gw, gx;
      if (w.requires_grad()) gw = Tensor::empty(wc.shape(), gc.dtype());
      if (x.requires_grad()) gx = Tensor::empty(xc.shape(), gc.dtype());
      dispatch_floating(gc.dtype(), "conv2d backward", [&]<class T>() {
        conv_backward_per_image<T>(g, G, Og, CgKK, xc.data<T>(), wc.data<T>(), gc.data<T>(),
                                   gw.defined() ? gw.data<T>() : nullptr,
                                   gx.defined() ? gx.data<T>() : nullptr);
      });
      return V{gx, gw, b.defined() && b.requires_grad() ? bias_grad(gc) : Tensor()};
    });
  }
  // Fewer images than threads: one batched im2col and threaded GEMMs over all positions.
  Tensor cols = Tensor::empty({G * CgKK, NP}, x.dtype());
  Tensor outp = Tensor::empty({O, NP}, x.dtype());
  dispatch_floating(x.dtype(), "conv2d", [&]<class T>() {
    kernels::cpu::im2col(g, xc.data<T>(), cols.data<T>());
    grouped_gemm<T>(G, false, false, Og, NP, CgKK, wc.data<T>(), CgKK, Og * CgKK, cols.data<T>(),
                    NP, CgKK * NP, outp.data<T>(), Og * NP);
    cn_to_nc(outp.data<T>(), out.data<T>(), g.n, O, P, bc.defined() ? bc.data<T>() : nullptr);
  });
  Shape xs = x.shape();
  return attach_grad_fn(out, {x, w, b}, "conv2d", [=](const Tensor& grad) {
    Tensor gc = grad.contiguous();
    Tensor gp = Tensor::empty({O, NP}, gc.dtype());
    Tensor gw, gx;
    dispatch_floating(gc.dtype(), "conv2d backward", [&]<class T>() {
      nc_to_cn(gc.data<T>(), gp.data<T>(), g.n, O, P);
      if (w.requires_grad()) {
        gw = Tensor::empty(wc.shape(), gc.dtype());
        grouped_gemm<T>(G, false, true, Og, CgKK, NP, gp.data<T>(), NP, Og * NP, cols.data<T>(), NP,
                        CgKK * NP, gw.data<T>(), Og * CgKK);
      }
      if (x.requires_grad()) {
        Tensor gcols = Tensor::empty({G * CgKK, NP}, gc.dtype());
        grouped_gemm<T>(G, true, false, CgKK, NP, Og, wc.data<T>(), CgKK, Og * CgKK, gp.data<T>(),
                        NP, Og * NP, gcols.data<T>(), CgKK * NP);
        gx = Tensor::empty(xs, gc.dtype());
        kernels::cpu::col2im(g, gcols.data<T>(), gx.data<T>());
      }
    });
    return V{gx, gw, b.defined() && b.requires_grad() ? bias_grad(gc) : Tensor()};
  });
}

Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dOptions& o) {
  check_conv_args(x, w, b, o.groups, "conv_transpose2d");
  const int64_t G = o.groups, Cin = x.size(1), Og = w.size(1), O = Og * G, KH = w.size(2),
                KW = w.size(3);
  if (w.size(0) != Cin || Cin % G != 0 || (b.defined() && (b.dim() != 1 || b.size(0) != O)))
    throw std::invalid_argument(
        fmt::format("conv_transpose2d: input {} does not fit weight {} (groups {}) and bias {}",
                    x.shape_str(), w.shape_str(), G, b.defined() ? b.shape_str() : "none"));
  const int64_t N = x.size(0), H = x.size(2), W = x.size(3);
  const int64_t OH = (H - 1) * o.stride_h - 2 * o.pad_h + o.dil_h * (KH - 1) + o.out_pad_h + 1;
  const int64_t OW = (W - 1) * o.stride_w - 2 * o.pad_w + o.dil_w * (KW - 1) + o.out_pad_w + 1;
  if (OH <= 0 || OW <= 0)
    throw std::invalid_argument("conv_transpose2d: empty output for input " + x.shape_str());
  // The convolution that maps the output (N,O,OH,OW) back to x's spatial size.
  ConvGeom g = geometry({N, O, OH, OW}, KH, KW, o, "conv_transpose2d");
  if (g.oh != H || g.ow != W)
    throw std::invalid_argument("conv_transpose2d: output padding does not match the stride for " +
                                x.shape_str());
  const int64_t P = H * W, NP = N * P, Cg = Cin / G, OgKK = Og * KH * KW;
  Tensor xc = x.contiguous(), wc = w.contiguous();
  Tensor xp = Tensor::empty({Cin, NP}, x.dtype());
  Tensor cols = Tensor::empty({G * OgKK, NP}, x.dtype());
  Tensor out = Tensor::empty({N, O, OH, OW}, x.dtype());
  dispatch_floating(x.dtype(), "conv_transpose2d", [&]<class T>() {
    nc_to_cn(xc.data<T>(), xp.data<T>(), N, Cin, P);
    // cols(OgKK, NP) = W_g^T (OgKK, Cg) @ xp_g (Cg, NP)
    grouped_gemm<T>(G, true, false, OgKK, NP, Cg, wc.data<T>(), OgKK, Cg * OgKK, xp.data<T>(), NP,
                    Cg * NP, cols.data<T>(), OgKK * NP);
    kernels::cpu::col2im(g, cols.data<T>(), out.data<T>());
  });
  if (b.defined()) {
    NoGradGuard ng;
    out = add(out, b.detach().reshape({1, O, 1, 1}));
  }
  return attach_grad_fn(out, {x, w, b}, "conv_transpose2d", [=](const Tensor& grad) {
    Tensor gc = grad.contiguous();
    Tensor gcols = Tensor::empty({G * OgKK, NP}, gc.dtype());
    Tensor gx, gw;
    dispatch_floating(gc.dtype(), "conv_transpose2d backward", [&]<class T>() {
      kernels::cpu::im2col(g, gc.data<T>(), gcols.data<T>());
      if (x.requires_grad()) {
        Tensor gxp = Tensor::empty({Cin, NP}, gc.dtype());
        grouped_gemm<T>(G, false, false, Cg, NP, OgKK, wc.data<T>(), OgKK, Cg * OgKK,
                        gcols.data<T>(), NP, OgKK * NP, gxp.data<T>(), Cg * NP);
        gx = Tensor::empty({N, Cin, H, W}, gc.dtype());
        cn_to_nc(gxp.data<T>(), gx.data<T>(), N, Cin, P, static_cast<const T*>(nullptr));
      }
      if (w.requires_grad()) {
        gw = Tensor::empty(wc.shape(), gc.dtype());
        grouped_gemm<T>(G, false, true, Cg, OgKK, NP, xp.data<T>(), NP, Cg * NP, gcols.data<T>(),
                        NP, OgKK * NP, gw.data<T>(), Cg * OgKK);
      }
    });
    return V{gx, gw, b.defined() && b.requires_grad() ? bias_grad(gc) : Tensor()};
  });
}

}  // namespace he
