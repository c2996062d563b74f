// 2-D convolution and its transpose on the CPU (kernels/conv.h) as im2col + GEMM (OpenBLAS);
// the convolution hands the shapes Winograd takes (conv_winograd.cpp) to it for its output and
// input gradient, and to the direct filter gradient beside it. im2col has two paths: with at least
// as many images as threads, each thread convolves whole images with single-threaded GEMMs; with
// fewer, one batched im2col and threaded GEMMs over all output positions.
#include <omp.h>

#include <algorithm>
#include <memory>
#include <type_traits>
#include <vector>

#include "kernels/blas.h"
#include "kernels/conv.h"
#include "kernels/norm.h"

namespace he::kernels::cpu {

namespace {

// Uninitialised scratch (every use overwrites it before reading): no zero-fill pass over
// buffers of up to N*P*C*K*K values.
template <class T>
std::unique_ptr<T[]> scratch(int64_t n) {
  return std::unique_ptr<T[]>(new T[static_cast<size_t>(n)]);
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

// y(n, c, p) += bias[c]
template <class T>
void add_channel_bias(T* y, const T* bias, int64_t n, int64_t c, int64_t p) {
#pragma omp parallel for collapse(2) schedule(static) if (n * c * p >= (1 << 15))
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < c; ++j) {
      T* d = y + (i * c + j) * p;
      for (int64_t k = 0; k < p; ++k) d[k] += bias[j];
    }
}

// Per group: C(rows_c, cols) = op(A) @ op(B) with the group's row blocks.
template <class T>
void grouped_gemm(int64_t groups, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const T* a,
                  int64_t lda, int64_t a_step, const T* b, int64_t ldb, int64_t b_step, T* c,
                  int64_t c_step) {
  for (int64_t gi = 0; gi < groups; ++gi)
    gemm(ta, tb, m, n, k, T(1), a + gi * a_step, lda, b + gi * b_step, ldb, T(0), c + gi * c_step,
         n);
}

// Sizes of one group's GEMMs: og output channels, cgkk rows of the column matrix.
struct GroupDims {
  int64_t g, og, cgkk, p;
  explicit GroupDims(const ConvGeom& cg)
      : g(cg.groups),
        og(cg.o / cg.groups),
        cgkk(cg.c / cg.groups * cg.kh * cg.kw),
        p(cg.oh * cg.ow) {}
};

// The per-image path: each thread convolves whole images with a private column buffer of one
// image (it stays in cache) and single-threaded GEMMs (OpenBLAS runs sequentially inside an
// OpenMP region). The (C*K*K, N*P) column matrix of the batched path, 80 MB for the small
// CNN's second layer at batch 128, is never built, and the (N,C,P) <-> (C,N*P) layout passes
// vanish because one image's GEMM output (O,P) is already its NCHW slice.
bool per_image_path(int64_t n) { return n >= num_threads(); }

template <class T>
void conv_forward_per_image(const ConvGeom& g, const T* x, const T* w, const T* bias, T* out) {
  const GroupDims d(g);
  const int64_t xs = g.c * g.h * g.w, os = g.o * d.p;
  ConvGeom one = g;
  one.n = 1;
#pragma omp parallel
  {
    std::vector<T> cols(static_cast<size_t>(d.g * d.cgkk * d.p));
#pragma omp for schedule(static)
    for (int64_t i = 0; i < g.n; ++i) {
      im2col(one, x + i * xs, cols.data());
      T* o = out + i * os;
      grouped_gemm<T>(d.g, false, false, d.og, d.p, d.cgkk, w, d.cgkk, d.og * d.cgkk, cols.data(),
                      d.p, d.cgkk * d.p, o, d.og * d.p);
      if (bias)
        for (int64_t c = 0; c < g.o; ++c)
          for (int64_t k = 0; k < d.p; ++k) o[c * d.p + k] += bias[c];
    }
  }
}

// gw (if not null) = sum over images of grad_i @ cols_i^T, accumulated per thread and summed
// in thread order (deterministic for a thread count); gx (if not null) = col2im(W^T grad_i).
// The columns are recomputed here rather than kept from the forward pass.
template <class T>
void conv_backward_per_image(const ConvGeom& g, const T* x, const T* w, const T* grad, T* gw,
                             T* gx) {
  const GroupDims d(g);
  const int64_t xs = g.c * g.h * g.w, os = g.o * d.p, wn = g.o * d.cgkk;
  ConvGeom one = g;
  one.n = 1;
  std::vector<std::vector<T>> partial(static_cast<size_t>(num_threads()));
#pragma omp parallel
  {
    std::vector<T> cols(static_cast<size_t>(d.g * d.cgkk * d.p));
    std::vector<T>& gw_t = partial[static_cast<size_t>(omp_get_thread_num())];
    if (gw) gw_t.assign(static_cast<size_t>(wn), T(0));
#pragma omp for schedule(static)
    for (int64_t i = 0; i < g.n; ++i) {
      const T* gi = grad + i * os;
      if (gw) {
        im2col(one, x + i * xs, cols.data());
        for (int64_t k = 0; k < d.g; ++k)
          gemm(false, true, d.og, d.cgkk, d.p, T(1), gi + k * d.og * d.p, d.p,
               cols.data() + k * d.cgkk * d.p, d.p, T(1), gw_t.data() + k * d.og * d.cgkk, d.cgkk);
      }
      if (gx) {
        grouped_gemm<T>(d.g, true, false, d.cgkk, d.p, d.og, w, d.cgkk, d.og * d.cgkk, gi, d.p,
                        d.og * d.p, cols.data(), d.cgkk * d.p);
        col2im(one, cols.data(), gx + i * xs);
      }
    }
  }
  if (!gw) return;
  std::fill(gw, gw + wn, T(0));
  for (const auto& p : partial)
    if (!p.empty())
      for (int64_t k = 0; k < wn; ++k) gw[k] += p[k];
}

// Fewer images than threads: one batched im2col and threaded GEMMs over all positions.
template <class T>
void conv_forward_batched(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y) {
  const GroupDims d(g);
  const int64_t np = g.n * d.p;
  auto cols = scratch<T>(d.g * d.cgkk * np), outp = scratch<T>(g.o * np);
  im2col(g, x, cols.get());
  grouped_gemm<T>(d.g, false, false, d.og, np, d.cgkk, w, d.cgkk, d.og * d.cgkk, cols.get(), np,
                  d.cgkk * np, outp.get(), d.og * np);
  cn_to_nc(outp.get(), y, g.n, g.o, d.p, bias);
}

template <class T>
void conv_backward_batched(const ConvGeom& g, const T* x, const T* w, const T* grad, T* gw, T* gx) {
  const GroupDims d(g);
  const int64_t np = g.n * d.p;
  auto gp = scratch<T>(g.o * np), cols = scratch<T>(d.g * d.cgkk * np);
  nc_to_cn(grad, gp.get(), g.n, g.o, d.p);
  if (gw) {
    im2col(g, x, cols.get());
    grouped_gemm<T>(d.g, false, true, d.og, d.cgkk, np, gp.get(), np, d.og * np, cols.get(), np,
                    d.cgkk * np, gw, d.og * d.cgkk);
  }
  if (gx) {
    grouped_gemm<T>(d.g, true, false, d.cgkk, np, d.og, w, d.cgkk, d.og * d.cgkk, gp.get(), np,
                    d.og * np, cols.get(), d.cgkk * np);
    col2im(g, cols.get(), gx);
  }
}

}  // namespace

template <class T>
void conv2d_im2col_forward(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y) {
  if (per_image_path(g.n))
    conv_forward_per_image(g, x, w, bias, y);
  else
    conv_forward_batched(g, x, w, bias, y);
}

template <class T>
void conv2d_im2col_backward(const ConvGeom& g, const T* x, const T* w, const T* gy, T* gx, T* gw) {
  if (!gx && !gw) return;
  if (per_image_path(g.n))
    conv_backward_per_image(g, x, w, gy, gw, gx);
  else
    conv_backward_batched(g, x, w, gy, gw, gx);
}

template <class T>
void conv2d_forward(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y) {
  if constexpr (std::is_same_v<T, float>)
    if (conv2d_uses_winograd(g)) return conv2d_winograd_forward(g, x, w, bias, y);
  conv2d_im2col_forward(g, x, w, bias, y);
}

template <class T>
void conv2d_backward(const ConvGeom& g, const T* x, const T* w, const T* gy, T* gx, T* gw, T* gb) {
  if constexpr (std::is_same_v<T, float>)
    if (conv2d_uses_winograd(g)) {
      if (gx || gw) conv2d_winograd_backward(g, x, w, gy, gx, gw);
      gx = gw = nullptr;  // done
    }
  conv2d_im2col_backward(g, x, w, gy, gx, gw);
  if (gb) channel_sum(gy, gb, g.n, g.o, g.oh * g.ow);
}

// The adjoint of convolution g: x(n,o,oh,ow) goes to the column matrix through W^T, and
// col2im scatters the columns onto y(n,c,h,w).
template <class T>
void conv_transpose2d_forward(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y) {
  const GroupDims d(g);
  const int64_t np = g.n * d.p;
  auto xp = scratch<T>(g.o * np), cols = scratch<T>(d.g * d.cgkk * np);
  nc_to_cn(x, xp.get(), g.n, g.o, d.p);
  // cols_g(cgkk, NP) = W_g^T (cgkk, og) @ xp_g (og, NP)
  grouped_gemm<T>(d.g, true, false, d.cgkk, np, d.og, w, d.cgkk, d.og * d.cgkk, xp.get(), np,
                  d.og * np, cols.get(), d.cgkk * np);
  col2im(g, cols.get(), y);
  if (bias) add_channel_bias(y, bias, g.n, g.c, g.h * g.w);
}

template <class T>
void conv_transpose2d_backward(const ConvGeom& g, const T* x, const T* w, const T* gy, T* gx, T* gw,
                               T* gb) {
  const GroupDims d(g);
  const int64_t np = g.n * d.p;
  if (gx || gw) {
    auto gcols = scratch<T>(d.g * d.cgkk * np), buf = scratch<T>(g.o * np);
    im2col(g, gy, gcols.get());
    if (gx) {
      grouped_gemm<T>(d.g, false, false, d.og, np, d.cgkk, w, d.cgkk, d.og * d.cgkk, gcols.get(),
                      np, d.cgkk * np, buf.get(), d.og * np);
      cn_to_nc(buf.get(), gx, g.n, g.o, d.p, static_cast<const T*>(nullptr));
    }
    if (gw) {
      nc_to_cn(x, buf.get(), g.n, g.o, d.p);
      grouped_gemm<T>(d.g, false, true, d.og, d.cgkk, np, buf.get(), np, d.og * np, gcols.get(), np,
                      d.cgkk * np, gw, d.og * d.cgkk);
    }
  }
  if (gb) channel_sum(gy, gb, g.n, g.c, g.h * g.w);
}

#define HE_INSTANTIATE(T)                                                                         \
  template void conv2d_im2col_forward<T>(const ConvGeom&, const T*, const T*, const T*, T*);      \
  template void conv2d_im2col_backward<T>(const ConvGeom&, const T*, const T*, const T*, T*, T*); \
  template void conv2d_forward<T>(const ConvGeom&, const T*, const T*, const T*, T*);             \
  template void conv2d_backward<T>(const ConvGeom&, const T*, const T*, const T*, T*, T*, T*);    \
  template void conv_transpose2d_forward<T>(const ConvGeom&, const T*, const T*, const T*, T*);   \
  template void conv_transpose2d_backward<T>(const ConvGeom&, const T*, const T*, const T*, T*,   \
                                             T*, T*);
HE_INSTANTIATE(float)
HE_INSTANTIATE(double)

}  // namespace he::kernels::cpu
