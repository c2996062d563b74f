// AVX-512 (F + BW) fast scan of 4-bit PQ codes (kernels/pq.h): as the AVX2 path, with one
// 64-byte load covering four subquantisers (one per 128-bit lane) and the four lanes of each
// accumulator summed at the end of a block. Compiled for AVX-512 inside this file only.
#if !defined(__clang__)  // GCC 12 false positives inside its own intrinsic headers
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "kernels/pq.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,avx512f,avx512bw"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,avx512f,avx512bw")
#endif

#include "kernels/cpu/pq_scan4_simd.inl"

namespace {

inline __m128i sum_lanes(__m512i a) {
  const __m256i h = _mm256_add_epi16(_mm512_castsi512_si256(a), _mm512_extracti64x4_epi64(a, 1));
  return _mm_add_epi16(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

template <int NQ>
void scan(const uint8_t* luts8, const uint8_t* packed, size_t mp, size_t b0, size_t b1, size_t n,
          Pq4Sink& sink) {
  const __m512i low4 = _mm512_set1_epi8(0x0f), low8 = _mm512_set1_epi16(0x00ff);
  const size_t quads = mp / 4;  // 64-byte steps (mp is a multiple of 4)
  for (size_t b = b0; b < b1; ++b) {
    const uint8_t* blk = packed + b * mp * 16;
    __m512i acc[NQ][4];
    for (int q = 0; q < NQ; ++q)
      for (int a = 0; a < 4; ++a) acc[q][a] = _mm512_setzero_si512();
    for (size_t g = 0; g < quads; ++g) {
      const __m512i v = _mm512_loadu_si512(blk + g * 64);
      const __m512i lo = _mm512_and_si512(v, low4);
      const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low4);
      for (int q = 0; q < NQ; ++q) {
        const __m512i t = _mm512_loadu_si512(luts8 + q * mp * 16 + g * 64);
        const __m512i dlo = _mm512_shuffle_epi8(t, lo), dhi = _mm512_shuffle_epi8(t, hi);
        acc[q][0] = _mm512_add_epi16(acc[q][0], _mm512_and_si512(dlo, low8));
        acc[q][1] = _mm512_add_epi16(acc[q][1], _mm512_srli_epi16(dlo, 8));
        acc[q][2] = _mm512_add_epi16(acc[q][2], _mm512_and_si512(dhi, low8));
        acc[q][3] = _mm512_add_epi16(acc[q][3], _mm512_srli_epi16(dhi, 8));
      }
    }
    for (int q = 0; q < NQ; ++q) {
      emit16(combine_lanes(sum_lanes(acc[q][0]), sum_lanes(acc[q][1])), b * 32, q, n, sink);
      emit16(combine_lanes(sum_lanes(acc[q][2]), sum_lanes(acc[q][3])), b * 32 + 16, q, n, sink);
    }
  }
}

}  // namespace

namespace he::kernels::cpu::detail {

void pq4_scan_avx512(const uint8_t* luts8, size_t nq, const uint8_t* packed, size_t mp, size_t b0,
                     size_t b1, size_t n, Pq4Sink& sink) {
  switch (nq) {
    case 1:
      return scan<1>(luts8, packed, mp, b0, b1, n, sink);
    case 2:
      return scan<2>(luts8, packed, mp, b0, b1, n, sink);
    case 3:
      return scan<3>(luts8, packed, mp, b0, b1, n, sink);
    default:
      return scan<4>(luts8, packed, mp, b0, b1, n, sink);
  }
}

}  // namespace he::kernels::cpu::detail

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
