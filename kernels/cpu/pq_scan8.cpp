// 8-bit PQ ADC scans (kernels/pq.h): the blocked layout, the scalar references every SIMD path
// is tested against (float tables and u8 tables), and the dispatch to the path of the chosen
// instruction set.
#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>

#include "kernels/cpu/clones.h"
#include "kernels/pq.h"

namespace he::kernels::cpu {

constexpr size_t B = kPq8Block;

size_t pq8_blocks(size_t n) { return (n + B - 1) / B; }

void pq8_pack(const uint8_t* codes, size_t n, size_t m, uint8_t* packed) {
  std::memset(packed, 0, pq8_blocks(n) * m * B);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < m; ++j) packed[(i / B) * m * B + j * B + i % B] = codes[i * m + j];
}

namespace detail {

void pq8_scan_scalar(const float* luts, size_t nq, const uint8_t* packed, size_t m, size_t b0,
                     size_t b1, float* out) {
  const size_t width = (b1 - b0) * B;
  for (size_t b = b0; b < b1; ++b) {
    const uint8_t* blk = packed + b * m * B;
    for (size_t q = 0; q < nq; ++q) {
      const float* lut = luts + q * m * 256;
      for (size_t i = 0; i < B; ++i) {
        float acc = 0;
        for (size_t j = 0; j < m; ++j) acc += lut[j * 256 + blk[j * B + i]];
        out[q * width + (b - b0) * B + i] = acc;
      }
    }
  }
}

void pq8_u8_scan_scalar(const uint8_t* luts8, size_t nq, const uint8_t* packed, size_t m, size_t b0,
                        size_t b1, size_t n, PqSink& sink) {
  for (size_t b = b0; b < b1; ++b) {
    const uint8_t* blk = packed + b * m * B;
    for (size_t q = 0; q < nq; ++q) {
      const uint8_t* lut = luts8 + q * m * 256;
      for (size_t i = 0; i < B && b * B + i < n; ++i) {
        uint32_t acc = 0;
        for (size_t j = 0; j < m; ++j) acc += lut[j * 256 + blk[j * B + i]];
        if (acc < sink.thr[q])
          sink.push(static_cast<int>(q), b * B + i, static_cast<uint16_t>(acc));
      }
    }
  }
}

}  // namespace detail

HE_CLONES void pq_add_tables(const float* a, const float* b, size_t n, float* out) {
  for (size_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}

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

HE_CLONES void pq_table_range(const float* a, const float* b, size_t m, size_t ksub, float* lo,
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

HE_CLONES void pq_quantize_tables(const float* a, const float* b, size_t m, size_t ksub,
                                  const float* lo, float scale, uint8_t* out) {
  if (b)
    quantize_tables<true>(a, b, m, ksub, lo, scale, out);
  else
    quantize_tables<false>(a, b, m, ksub, lo, scale, out);
}

void pq8_adc_scan(const float* luts, size_t nq, const uint8_t* packed, size_t m, size_t b0,
                  size_t b1, float* out, PqIsa isa) {
  if (m == 0 || b1 < b0)
    throw std::invalid_argument(
        "pq8_adc_scan: need m > 0 and b0 <= b1; got m=" + std::to_string(m) +
        " b0=" + std::to_string(b0) + " b1=" + std::to_string(b1));
  if (isa == PqIsa::Auto) isa = pq_best_isa();
  if (!pq_isa_supported(isa))
    throw std::invalid_argument(std::string("pq8_adc_scan: ISA ") + pq_isa_name(isa) +
                                " is not supported by this CPU");
  const detail::Pq8ScanFn fn = isa == PqIsa::Avx512 ? detail::pq8_scan_avx512
                               : isa == PqIsa::Avx2 ? detail::pq8_scan_avx2
                                                    : detail::pq8_scan_scalar;
  fn(luts, nq, packed, m, b0, b1, out);
}

void pq8_u8_scan(const uint8_t* luts8, size_t nq, const uint8_t* packed, size_t m, size_t b0,
                 size_t b1, size_t n, PqSink& sink, PqIsa isa) {
  if (nq < 1 || nq > static_cast<size_t>(kPqMaxQueries) || m == 0 || m > 256 || b1 < b0)
    throw std::invalid_argument("pq8_u8_scan: need 1 <= nq <= " + std::to_string(kPqMaxQueries) +
                                ", 1 <= m <= 256 and b0 <= b1; got nq=" + std::to_string(nq) +
                                " m=" + std::to_string(m) + " b0=" + std::to_string(b0) +
                                " b1=" + std::to_string(b1));
  if (isa == PqIsa::Auto) isa = pq8_u8_supported(PqIsa::Avx512) ? PqIsa::Avx512 : PqIsa::Scalar;
  if (!pq8_u8_supported(isa))
    throw std::invalid_argument(std::string("pq8_u8_scan: ISA ") + pq_isa_name(isa) +
                                " has no u8-table 8-bit scan on this CPU");
  const detail::Pq8U8ScanFn fn =
      isa == PqIsa::Avx512 ? detail::pq8_u8_scan_avx512 : detail::pq8_u8_scan_scalar;
  fn(luts8, nq, packed, m, b0, b1, n, sink);
}

}  // namespace he::kernels::cpu
