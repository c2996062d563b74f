#include "kernels/conv.h"

#include <algorithm>
#include <cstring>

#include "kernels/cpu/strided_loop.h"

namespace he::kernels::cpu {

template <class T>
void im2col(const ConvGeom& g, const T* x, T* cols) {
  const int64_t rows = g.c * g.kh * g.kw, p = g.oh * g.ow, ncols = g.n * p;
#pragma omp parallel for schedule(static) if (rows * ncols >= kParallelGrain)
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t c = r / (g.kh * g.kw), ki = (r / g.kw) % g.kh, kj = r % g.kw;
    T* dst = cols + r * ncols;
    for (int64_t n = 0; n < g.n; ++n) {
      const T* img = x + (n * g.c + c) * g.h * g.w;
      for (int64_t oh = 0; oh < g.oh; ++oh) {
        const int64_t ih = oh * g.sh - g.ph + ki * g.dh;
        T* out = dst + n * p + oh * g.ow;
        if (ih < 0 || ih >= g.h) {
          std::memset(out, 0, sizeof(T) * g.ow);
          continue;
        }
        const T* row = img + ih * g.w;
        // Output columns [lo, hi) read inside the image; the rest is padding.
        const int64_t off = kj * g.dw - g.pw;
        const int64_t lo = std::min(g.ow, std::max<int64_t>(0, (-off + g.sw - 1) / g.sw));
        const int64_t hi = std::max(lo, std::min(g.ow, (g.w - off + g.sw - 1) / g.sw));
        for (int64_t ow = 0; ow < lo; ++ow) out[ow] = T(0);
        if (g.sw == 1) {
          std::memcpy(out + lo, row + lo + off, sizeof(T) * (hi - lo));
        } else {
          for (int64_t ow = lo; ow < hi; ++ow) out[ow] = row[ow * g.sw + off];
        }
        for (int64_t ow = hi; ow < g.ow; ++ow) out[ow] = T(0);
      }
    }
  }
}

template <class T>
void col2im(const ConvGeom& g, const T* cols, T* x) {
  const int64_t p = g.oh * g.ow, ncols = g.n * p;
  std::memset(x, 0, sizeof(T) * g.n * g.c * g.h * g.w);
  // Each channel's pixels receive only that channel's rows: channels split across threads.
#pragma omp parallel for schedule(static) if (g.c * g.kh * g.kw * ncols >= kParallelGrain)
  for (int64_t c = 0; c < g.c; ++c) {
    for (int64_t ki = 0; ki < g.kh; ++ki)
      for (int64_t kj = 0; kj < g.kw; ++kj) {
        const T* src = cols + ((c * g.kh + ki) * g.kw + kj) * ncols;
        for (int64_t n = 0; n < g.n; ++n) {
          T* img = x + (n * g.c + c) * g.h * g.w;
          for (int64_t oh = 0; oh < g.oh; ++oh) {
            const int64_t ih = oh * g.sh - g.ph + ki * g.dh;
            if (ih < 0 || ih >= g.h) continue;
            const T* in = src + n * p + oh * g.ow;
            T* row = img + ih * g.w;
            const int64_t off = kj * g.dw - g.pw;
            const int64_t lo = std::min(g.ow, std::max<int64_t>(0, (-off + g.sw - 1) / g.sw));
            const int64_t hi = std::max(lo, std::min(g.ow, (g.w - off + g.sw - 1) / g.sw));
            for (int64_t ow = lo; ow < hi; ++ow) row[ow * g.sw + off] += in[ow];
          }
        }
      }
  }
}

template void im2col<float>(const ConvGeom&, const float*, float*);
template void im2col<double>(const ConvGeom&, const double*, double*);
template void col2im<float>(const ConvGeom&, const float*, float*);
template void col2im<double>(const ConvGeom&, const double*, double*);

}  // namespace he::kernels::cpu
