// AVX2 fast scan of 4-bit PQ codes (kernels/pq.h): one 32-byte load holds the nibbles of 32
// codes for two subquantisers, one per 128-bit lane; vpshufb looks them up in the two 16-entry
// u8 tables held in one register; whole u16 words and odd bytes are summed in separate
// accumulators and the even sums recovered at the end of a block (exact up to 256
// subquantisers). Compiled for AVX2 inside this file only.
#if !defined(__clang__)  // GCC 12 false positives inside its own intrinsic headers
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "kernels/cpu/pq_queries.h"
#include "kernels/pq.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif

namespace {

using he::kernels::cpu::PqSink;

// even/odd: u16 accumulators whose 128-bit lanes each hold, at u16 k, the partial sums of
// codes 2k (even) or 2k+1 (odd) over one share of the subquantisers; -> 16 u16 distances.
inline __m256i combine_lanes(__m128i even, __m128i odd) {
  return _mm256_set_m128i(_mm_unpackhi_epi16(even, odd), _mm_unpacklo_epi16(even, odd));
}

// d: distances of codes base .. base+15 for query q.
inline void emit16(__m256i d, size_t base, int q, size_t n, PqSink& sink) {
  const uint16_t t = sink.thr[q];
  if (t == 0) return;
  const __m256i tm1 = _mm256_set1_epi16(static_cast<short>(t - 1));
  uint32_t mask =
      static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi16(_mm256_min_epu16(d, tm1), d))) &
      0x55555555u;
  if (!mask) return;
  alignas(32) uint16_t v[16];
  _mm256_store_si256(reinterpret_cast<__m256i*>(v), d);
  while (mask) {
    const int j = __builtin_ctz(mask) / 2;
    mask &= mask - 1;
    if (base + j >= n) return;
    if (v[j] < sink.thr[q]) sink.push(q, base + j, v[j]);  // the threshold may have dropped
  }
}

template <int NQ>
void scan(const uint8_t* luts8, const uint8_t* packed, size_t mp, size_t b0, size_t b1, size_t n,
          PqSink& sink) {
  const __m256i low4 = _mm256_set1_epi8(0x0f);
  const size_t groups = mp / 2;
  for (size_t b = b0; b < b1; ++b) {
    const uint8_t* blk = packed + b * groups * 32;
    // acc[q][0/1]: codes 0..15 whole words / odd bytes; acc[q][2/3]: codes 16..31.
    __m256i acc[NQ][4];
    for (int q = 0; q < NQ; ++q)
      for (int a = 0; a < 4; ++a) acc[q][a] = _mm256_setzero_si256();
    for (size_t g = 0; g < groups; ++g) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + g * 32));
      const __m256i lo = _mm256_and_si256(v, low4);
      const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), low4);
      for (int q = 0; q < NQ; ++q) {
        const __m256i t =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(luts8 + q * mp * 16 + g * 32));
        const __m256i dlo = _mm256_shuffle_epi8(t, lo), dhi = _mm256_shuffle_epi8(t, hi);
        acc[q][0] = _mm256_add_epi16(acc[q][0], dlo);
        acc[q][1] = _mm256_add_epi16(acc[q][1], _mm256_srli_epi16(dlo, 8));
        acc[q][2] = _mm256_add_epi16(acc[q][2], dhi);
        acc[q][3] = _mm256_add_epi16(acc[q][3], _mm256_srli_epi16(dhi, 8));
      }
    }
    for (int q = 0; q < NQ; ++q) {
      __m128i s[4];
      for (int a = 0; a < 4; ++a)
        s[a] = _mm_add_epi16(_mm256_castsi256_si128(acc[q][a]),
                             _mm256_extracti128_si256(acc[q][a], 1));
      // Whole words hold even + 256 odd: even = words - (odd << 8), exact modulo 2^16.
      s[0] = _mm_sub_epi16(s[0], _mm_slli_epi16(s[1], 8));
      s[2] = _mm_sub_epi16(s[2], _mm_slli_epi16(s[3], 8));
      emit16(combine_lanes(s[0], s[1]), b * 32, q, n, sink);
      emit16(combine_lanes(s[2], s[3]), b * 32 + 16, q, n, sink);
    }
  }
}

}  // namespace

namespace he::kernels::cpu::detail {

void pq4_scan_avx2(const uint8_t* luts8, size_t nq, const uint8_t* packed, size_t mp, size_t b0,
                   size_t b1, size_t n, PqSink& sink) {
  with_queries(nq, [&]<int Q>() { scan<Q>(luts8, packed, mp, b0, b1, n, sink); });
}

}  // namespace he::kernels::cpu::detail

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
