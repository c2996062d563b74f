#include "kernels/pool.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <type_traits>

#include "kernels/cpu/strided_loop.h"

namespace he::kernels::cpu {

namespace {
bool big(int64_t planes, int64_t per) { return planes > 1 && planes * per >= kParallelGrain; }

// The 2x2 / stride 2 max pool of one f32 plane, 16 outputs per step with AVX-512: the even and
// odd columns of each input row are split out by a permute, then the same tournament as the
// scalar loop below (strict >: without NaN the first maximum in scan order wins). The scalar
// loop compares lane by lane and was 7% of the small CNN's training step (perf, 1 thread).
__attribute__((target("avx512f"))) void max_pool2x2_plane_avx512(const PoolGeom& g, const float* in,
                                                                 float* out, int64_t* at) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i lane2 = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
  const __m512i one = _mm512_set1_epi64(1);
  for (int64_t oh = 0; oh < g.oh; ++oh) {
    const float* r0 = in + 2 * oh * g.w;
    const float* r1 = r0 + g.w;
    const int64_t top = 2 * oh * g.w;
    for (int64_t ow = 0; ow < g.ow; ow += 16) {
      const int64_t n = std::min<int64_t>(16, g.ow - ow);                // outputs in this step
      const int64_t lo = std::min<int64_t>(16, 2 * n), hi = 2 * n - lo;  // inputs per half
      const __mmask16 mlo = static_cast<__mmask16>((1u << lo) - 1);
      const __mmask16 mhi = static_cast<__mmask16>((1u << hi) - 1);
      const __mmask16 mout = static_cast<__mmask16>((1u << n) - 1);
      const float* a0 = r0 + 2 * ow;
      const float* a1 = r1 + 2 * ow;
      const __m512 x0a = _mm512_maskz_loadu_ps(mlo, a0), x0b = _mm512_maskz_loadu_ps(mhi, a0 + 16);
      const __m512 x1a = _mm512_maskz_loadu_ps(mlo, a1), x1b = _mm512_maskz_loadu_ps(mhi, a1 + 16);
      const __m512 l0 = _mm512_permutex2var_ps(x0a, even, x0b);
      const __m512 rt0 = _mm512_permutex2var_ps(x0a, odd, x0b);
      const __m512 l1 = _mm512_permutex2var_ps(x1a, even, x1b);
      const __m512 rt1 = _mm512_permutex2var_ps(x1a, odd, x1b);
      const __mmask16 right0 = _mm512_cmp_ps_mask(rt0, l0, _CMP_GT_OQ);
      const __mmask16 right1 = _mm512_cmp_ps_mask(rt1, l1, _CMP_GT_OQ);
      const __m512 v0 = _mm512_mask_blend_ps(right0, l0, rt0);
      const __m512 v1 = _mm512_mask_blend_ps(right1, l1, rt1);
      const __mmask16 lower = _mm512_cmp_ps_mask(v1, v0, _CMP_GT_OQ);
      _mm512_mask_storeu_ps(out + oh * g.ow + ow, mout, _mm512_mask_blend_ps(lower, v0, v1));
      // Positions within the plane, 8 lanes of int64 at a time: top + 2 (ow + lane), plus 1
      // for the right column, plus w for the bottom row.
      int64_t* dst = at + oh * g.ow + ow;
      for (int half = 0; half < 2; ++half) {
        const __mmask8 r0h = static_cast<__mmask8>(right0 >> (8 * half));
        const __mmask8 r1h = static_cast<__mmask8>(right1 >> (8 * half));
        const __mmask8 low = static_cast<__mmask8>(lower >> (8 * half));
        const __m512i col = _mm512_add_epi64(lane2, _mm512_set1_epi64(top + 2 * (ow + 8 * half)));
        const __m512i i0 = _mm512_mask_add_epi64(col, r0h, col, one);
        const __m512i bottom = _mm512_add_epi64(col, _mm512_set1_epi64(g.w));
        const __m512i i1 = _mm512_mask_add_epi64(bottom, r1h, bottom, one);
        _mm512_mask_storeu_epi64(dst + 8 * half, static_cast<__mmask8>(mout >> (8 * half)),
                                 _mm512_mask_blend_epi64(low, i0, i1));
      }
    }
  }
}

bool has_avx512f() {
  static const bool yes = __builtin_cpu_supports("avx512f");
  return yes;
}
}  // namespace

template <class T>
void max_pool2x2_plane(const PoolGeom& g, const T* in, T* out, int64_t* at) {
  if constexpr (std::is_same_v<T, float>) {
    if (has_avx512f()) return max_pool2x2_plane_avx512(g, in, out, at);
  }
  for (int64_t oh = 0; oh < g.oh; ++oh) {
    const T* r0 = in + 2 * oh * g.w;
    const T* r1 = r0 + g.w;
    // A tournament of selects, no data-dependent branches: the first maximum in scan order
    // wins, as in the general loop of max_pool2d.
    const int64_t top = 2 * oh * g.w, bottom = top + g.w;
    for (int64_t ow = 0; ow < g.ow; ++ow) {
      const int64_t j = 2 * ow;
      const bool right0 = r0[j + 1] > r0[j], right1 = r1[j + 1] > r1[j];
      const T v0 = right0 ? r0[j + 1] : r0[j], v1 = right1 ? r1[j + 1] : r1[j];
      const int64_t i0 = top + j + right0, i1 = bottom + j + right1;
      const bool lower = v1 > v0;
      out[oh * g.ow + ow] = lower ? v1 : v0;
      at[oh * g.ow + ow] = lower ? i1 : i0;
    }
  }
}

// The windows tile the plane, so each gradient is stored, not added, after a fill of the
// plane (a few KB, in L1). Selecting gradient-or-0 per input instead, with no fill, ran 5x
// slower: the argmax positions are random, and the selects compiled to mispredicted branches.
template <class T>
void max_pool2x2_backward_plane(const PoolGeom& g, const T* gy, const int64_t* at, T* gx) {
  std::fill(gx, gx + g.h * g.w, T(0));
  for (int64_t o = 0; o < g.oh * g.ow; ++o) gx[at[o]] = gy[o];
}

template <class T>
void max_pool2d(const PoolGeom& g, const T* x, T* y, int64_t* idx) {
  if (g.k == 2 && g.stride == 2 && g.pad == 0) {  // the common 2x2 case, branch-light
#pragma omp parallel for schedule(static) if (big(g.planes, g.h * g.w))
    for (int64_t p = 0; p < g.planes; ++p)
      max_pool2x2_plane(g, x + p * g.h * g.w, y + p * g.oh * g.ow, idx + p * g.oh * g.ow);
    return;
  }
#pragma omp parallel for schedule(static) if (big(g.planes, g.h * g.w))
  for (int64_t p = 0; p < g.planes; ++p) {
    const T* in = x + p * g.h * g.w;
    for (int64_t oh = 0; oh < g.oh; ++oh)
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const int64_t h0 = oh * g.stride - g.pad, w0 = ow * g.stride - g.pad;
        T best = -std::numeric_limits<T>::infinity();
        int64_t at = -1;
        for (int64_t i = std::max<int64_t>(h0, 0); i < std::min(h0 + g.k, g.h); ++i)
          for (int64_t j = std::max<int64_t>(w0, 0); j < std::min(w0 + g.k, g.w); ++j) {
            T v = in[i * g.w + j];
            if (v > best || at < 0) best = v, at = i * g.w + j;
          }
        const int64_t o = (p * g.oh + oh) * g.ow + ow;
        y[o] = best;
        idx[o] = at;
      }
  }
}

template <class T>
void max_pool2d_backward(const PoolGeom& g, const T* gy, const int64_t* idx, T* gx) {
  if (g.k == 2 && g.stride == 2 && g.pad == 0) {
#pragma omp parallel for schedule(static) if (big(g.planes, g.h * g.w))
    for (int64_t p = 0; p < g.planes; ++p)
      max_pool2x2_backward_plane(g, gy + p * g.oh * g.ow, idx + p * g.oh * g.ow,
                                 gx + p * g.h * g.w);
    return;
  }
#pragma omp parallel for schedule(static) if (big(g.planes, g.h * g.w))
  for (int64_t p = 0; p < g.planes; ++p) {
    T* plane = gx + p * g.h * g.w;  // zeroed here, inside the threads, not in one serial pass
    std::fill(plane, plane + g.h * g.w, T(0));
    for (int64_t o = p * g.oh * g.ow; o < (p + 1) * g.oh * g.ow; ++o) plane[idx[o]] += gy[o];
  }
}

template <class T>
void avg_pool2d(const PoolGeom& g, const T* x, T* y) {
  const T inv = T(1) / static_cast<T>(g.k * g.k);
#pragma omp parallel for schedule(static) if (big(g.planes, g.h * g.w))
  for (int64_t p = 0; p < g.planes; ++p) {
    const T* in = x + p * g.h * g.w;
    for (int64_t oh = 0; oh < g.oh; ++oh)
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const int64_t h0 = oh * g.stride - g.pad, w0 = ow * g.stride - g.pad;
        T s = 0;
        for (int64_t i = std::max<int64_t>(h0, 0); i < std::min(h0 + g.k, g.h); ++i)
          for (int64_t j = std::max<int64_t>(w0, 0); j < std::min(w0 + g.k, g.w); ++j)
            s += in[i * g.w + j];
        y[(p * g.oh + oh) * g.ow + ow] = s * inv;
      }
  }
}

template <class T>
void avg_pool2d_backward(const PoolGeom& g, const T* gy, T* gx) {
  const T inv = T(1) / static_cast<T>(g.k * g.k);
  std::memset(gx, 0, sizeof(T) * g.planes * g.h * g.w);
#pragma omp parallel for schedule(static) if (big(g.planes, g.h * g.w))
  for (int64_t p = 0; p < g.planes; ++p) {
    T* out = gx + p * g.h * g.w;
    for (int64_t oh = 0; oh < g.oh; ++oh)
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        const int64_t h0 = oh * g.stride - g.pad, w0 = ow * g.stride - g.pad;
        const T v = gy[(p * g.oh + oh) * g.ow + ow] * inv;
        for (int64_t i = std::max<int64_t>(h0, 0); i < std::min(h0 + g.k, g.h); ++i)
          for (int64_t j = std::max<int64_t>(w0, 0); j < std::min(w0 + g.k, g.w); ++j)
            out[i * g.w + j] += v;
      }
  }
}

template <class T>
void adaptive_avg_pool2d(int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow, const T* x,
                         T* y) {
#pragma omp parallel for schedule(static) if (big(planes, h * w))
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        const int64_t h0 = i * h / oh, h1 = ((i + 1) * h + oh - 1) / oh;
        const int64_t w0 = j * w / ow, w1 = ((j + 1) * w + ow - 1) / ow;
        T s = 0;
        for (int64_t a = h0; a < h1; ++a)
          for (int64_t b = w0; b < w1; ++b) s += x[(p * h + a) * w + b];
        y[(p * oh + i) * ow + j] = s / static_cast<T>((h1 - h0) * (w1 - w0));
      }
}

template <class T>
void adaptive_avg_pool2d_backward(int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow,
                                  const T* gy, T* gx) {
  std::memset(gx, 0, sizeof(T) * planes * h * w);
#pragma omp parallel for schedule(static) if (big(planes, h * w))
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t i = 0; i < oh; ++i)
      for (int64_t j = 0; j < ow; ++j) {
        const int64_t h0 = i * h / oh, h1 = ((i + 1) * h + oh - 1) / oh;
        const int64_t w0 = j * w / ow, w1 = ((j + 1) * w + ow - 1) / ow;
        const T v = gy[(p * oh + i) * ow + j] / static_cast<T>((h1 - h0) * (w1 - w0));
        for (int64_t a = h0; a < h1; ++a)
          for (int64_t b = w0; b < w1; ++b) gx[(p * h + a) * w + b] += v;
      }
}

#define HE_INSTANTIATE(T)                                                                          \
  template void max_pool2d<T>(const PoolGeom&, const T*, T*, int64_t*);                            \
  template void max_pool2d_backward<T>(const PoolGeom&, const T*, const int64_t*, T*);             \
  template void avg_pool2d<T>(const PoolGeom&, const T*, T*);                                      \
  template void avg_pool2d_backward<T>(const PoolGeom&, const T*, T*);                             \
  template void adaptive_avg_pool2d<T>(int64_t, int64_t, int64_t, int64_t, int64_t, const T*, T*); \
  template void adaptive_avg_pool2d_backward<T>(int64_t, int64_t, int64_t, int64_t, int64_t,       \
                                                const T*, T*);
HE_INSTANTIATE(float)
HE_INSTANTIATE(double)
template void max_pool2x2_plane<float>(const PoolGeom&, const float*, float*, int64_t*);
template void max_pool2x2_plane<double>(const PoolGeom&, const double*, double*, int64_t*);
template void max_pool2x2_backward_plane<float>(const PoolGeom&, const float*, const int64_t*,
                                                float*);
template void max_pool2x2_backward_plane<double>(const PoolGeom&, const double*, const int64_t*,
                                                 double*);

}  // namespace he::kernels::cpu
