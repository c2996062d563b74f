#include "kernels/conv.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/cpu/strided_loop.h"

namespace he::kernels::cpu {

namespace {
// Both directions go through one zero-padded copy of an input plane, (h + 2 ph) x (w + 2 pw):
// output position (oh, ow) of tap (ki, kj) then reads padded pixel (oh sh + ki dh, ow sw +
// kj dw) with no bounds to check, and every row of the column matrix is whole copies of ow
// values. Clipping each row against the border instead cost two divisions and two small
// fills per row, more than the row's copy: with that, im2col and col2im took 17% of a small
// CNN training step (bench_train, 1 thread, perf), 6.5% after.
struct Padded {
  int64_t h, w;
  explicit Padded(const ConvGeom& g) : h(g.h + 2 * g.ph), w(g.w + 2 * g.pw) {}
  int64_t size() const { return h * w; }
};

// out[0, n) = src[0, n) for the short rows of a column matrix (14 values for the small CNN's
// second layer): fixed-size blocks of 8, which the compiler inlines, the last one overlapping
// the one before, instead of a call to memcpy per row.
template <class T>
void copy_row(T* out, const T* src, int64_t n) {
  constexpr int64_t kBlock = 8;
  if (n < kBlock) {
    std::memcpy(out, src, sizeof(T) * n);
    return;
  }
  for (int64_t k = 0; k + kBlock <= n; k += kBlock)
    std::memcpy(out + k, src + k, sizeof(T) * kBlock);
  if (n % kBlock) std::memcpy(out + n - kBlock, src + n - kBlock, sizeof(T) * kBlock);
}

// Rows (c, *, *) of the column matrix, for image n (columns n p .. n p + p - 1); `pad` is
// scratch of Padded(g).size(). g is taken by value so that its fields stay in registers
// across the memcpy calls.
template <class T>
void im2col_plane(const ConvGeom g, const T* plane, T* cols, int64_t ncols, T* pad) {
  const Padded pd(g);
  std::fill(pad, pad + pd.size(), T(0));
  for (int64_t i = 0; i < g.h; ++i)
    std::memcpy(pad + (i + g.ph) * pd.w + g.pw, plane + i * g.w, sizeof(T) * g.w);
  for (int64_t ki = 0; ki < g.kh; ++ki)
    for (int64_t kj = 0; kj < g.kw; ++kj, cols += ncols)
      for (int64_t oh = 0; oh < g.oh; ++oh) {
        const T* src = pad + (oh * g.sh + ki * g.dh) * pd.w + kj * g.dw;
        T* out = cols + oh * g.ow;
        if (g.sw == 1) {
          copy_row(out, src, g.ow);
        } else {
          for (int64_t ow = 0; ow < g.ow; ++ow) out[ow] = src[ow * g.sw];
        }
      }
}

// The adjoint: plane = the sum of the column entries that read each pixel (overwritten).
template <class T>
void col2im_plane(const ConvGeom g, const T* cols, int64_t ncols, T* plane, T* pad) {
  const Padded pd(g);
  std::fill(pad, pad + pd.size(), T(0));
  for (int64_t ki = 0; ki < g.kh; ++ki)
    for (int64_t kj = 0; kj < g.kw; ++kj, cols += ncols)
      for (int64_t oh = 0; oh < g.oh; ++oh) {
        T* dst = pad + (oh * g.sh + ki * g.dh) * pd.w + kj * g.dw;
        const T* in = cols + oh * g.ow;
        for (int64_t ow = 0; ow < g.ow; ++ow) dst[ow * g.sw] += in[ow];
      }
  for (int64_t i = 0; i < g.h; ++i)
    std::memcpy(plane + i * g.w, pad + (i + g.ph) * pd.w + g.pw, sizeof(T) * g.w);
}

// fn(n, c, pad) for every plane (n, c) of the input, the planes split across threads, each
// thread with its own padded scratch plane.
template <class T, class Fn>
void for_each_plane(const ConvGeom& g, Fn fn) {
#pragma omp parallel if (g.c * g.kh * g.kw * g.n * g.oh * g.ow >= kParallelGrain)
  {
    std::vector<T> pad(static_cast<size_t>(Padded(g).size()));
#pragma omp for collapse(2) schedule(static)
    for (int64_t n = 0; n < g.n; ++n)
      for (int64_t c = 0; c < g.c; ++c) fn(n, c, pad.data());
  }
}
}  // namespace

// Each plane (n, c) writes its own rows (c, *, *) and columns (n, *) of cols.
template <class T>
void im2col(const ConvGeom& g, const T* x, T* cols) {
  const int64_t p = g.oh * g.ow, ncols = g.n * p, kk = g.kh * g.kw;
  for_each_plane<T>(g, [&](int64_t n, int64_t c, T* pad) {
    im2col_plane(g, x + (n * g.c + c) * g.h * g.w, cols + c * kk * ncols + n * p, ncols, pad);
  });
}

template <class T>
void col2im(const ConvGeom& g, const T* cols, T* x) {
  const int64_t p = g.oh * g.ow, ncols = g.n * p, kk = g.kh * g.kw;
  for_each_plane<T>(g, [&](int64_t n, int64_t c, T* pad) {
    col2im_plane(g, cols + c * kk * ncols + n * p, ncols, x + (n * g.c + c) * g.h * g.w, pad);
  });
}

template void im2col<float>(const ConvGeom&, const float*, float*);
template void im2col<double>(const ConvGeom&, const double*, double*);
template void col2im<float>(const ConvGeom&, const float*, float*);
template void col2im<double>(const ConvGeom&, const double*, double*);

}  // namespace he::kernels::cpu
