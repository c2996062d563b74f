// Per-query lookup tables of the PQ scans (kernels/pq.h): the elementwise sum of IVF-PQ and the
// quantisation of float tables to u8, each compiled for the CPU's widest float SIMD.
#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

#include "kernels/cpu/clones.h"
#include "kernels/pq.h"

namespace he::kernels::cpu {

HE_CLONES void pq_add_tables(const float* a, const float* b, size_t n, float* out) {
  for (size_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

namespace {

// Sixteen running minima and maxima in one GCC vector (a 512-bit register in the AVX-512
// clone), so that the loop is vector min / max; a reduction through one std::min would not
// vectorise without -ffast-math.
typedef float F16 __attribute__((vector_size(64)));
typedef int32_t I16 __attribute__((vector_size(64)));
typedef uint8_t U8x16 __attribute__((vector_size(16)));

template <bool Sum>
inline void table_range(const float* a, const float* b, size_t m, size_t ksub, float* lo,
                        float* hi) {
  constexpr size_t L = 16;
  for (size_t j = 0; j < m; ++j) {
    F16 l, h, t, u;
    for (size_t e = 0; e < L; ++e) l[e] = std::numeric_limits<float>::infinity(), h[e] = -l[e];
    for (size_t c = 0; c + L <= ksub; c += L) {
      std::memcpy(&t, a + j * ksub + c, sizeof t);
      if (Sum) std::memcpy(&u, b + j * ksub + c, sizeof u), t += u;
      l = t < l ? t : l, h = t > h ? t : h;
    }
    for (size_t c = ksub / L * L; c < ksub; ++c) {
      const float v = a[j * ksub + c] + (Sum ? b[j * ksub + c] : 0.0f);
      l[0] = std::min(l[0], v), h[0] = std::max(h[0], v);
    }
    lo[j] = l[0], hi[j] = h[0];
    for (size_t e = 1; e < L; ++e) lo[j] = std::min(lo[j], l[e]), hi[j] = std::max(hi[j], h[e]);
  }
}

HE_CLONES void table_range_any(const float* a, const float* b, size_t m, size_t ksub, float* lo,
                               float* hi) {
  if (b)
    table_range<true>(a, b, m, ksub, lo, hi);
  else
    table_range<false>(a, b, m, ksub, lo, hi);
}

template <bool Sum>
inline void quantize_tables(const float* a, const float* b, size_t m, size_t ksub, const float* lo,
                            float scale, uint8_t* out) {
  constexpr size_t L = 16;
  for (size_t j = 0; j < m; ++j) {
    // t >= lo[j], so adding 0.5 and truncating rounds to nearest.
    size_t c = 0;
    for (; c + L <= ksub; c += L) {
      F16 t, u;
      std::memcpy(&t, a + j * ksub + c, sizeof t);
      if (Sum) std::memcpy(&u, b + j * ksub + c, sizeof u), t += u;
      t = (t - lo[j]) * scale + 0.5f;
      t = t < 255.0f ? t : 255.0f;
      const U8x16 q = __builtin_convertvector(__builtin_convertvector(t, I16), U8x16);
      std::memcpy(out + j * ksub + c, &q, sizeof q);
    }
    for (; c < ksub; ++c) {
      const float t = a[j * ksub + c] + (Sum ? b[j * ksub + c] : 0.0f);
      out[j * ksub + c] =
          static_cast<uint8_t>(static_cast<int>(std::min(255.0f, (t - lo[j]) * scale + 0.5f)));
    }
  }
}

HE_CLONES void quantize_tables_any(const float* a, const float* b, size_t m, size_t ksub,
                                   const float* lo, float scale, uint8_t* out) {
  if (b)
    quantize_tables<true>(a, b, m, ksub, lo, scale, out);
  else
    quantize_tables<false>(a, b, m, ksub, lo, scale, out);
}

}  // namespace

PqU8Table pq_quantize_tables(const float* a, const float* b, size_t m, size_t ksub, float* lo,
                             uint8_t* out) {
  constexpr size_t kMaxRows = 256;  // the u8 scans' limit: u16 sums of 255 per row
  if (m > kMaxRows)
    throw std::invalid_argument("pq_quantize_tables: at most 256 rows, got " + std::to_string(m));
  float hi[kMaxRows];
  table_range_any(a, b, m, ksub, lo, hi);
  float span = 0;
  for (size_t j = 0; j < m; ++j) span = std::max(span, hi[j] - lo[j]);
  const float scale = span > 0 ? 255.0f / span : 0.0f;
  quantize_tables_any(a, b, m, ksub, lo, scale, out);
  return {scale, span / 255.0f};
}

}  // namespace he::kernels::cpu
