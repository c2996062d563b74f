// AVX-512 (F + BW) fast scan of 4-bit PQ codes (kernels/pq.h): as the AVX2 path, with one
// 64-byte load covering four subquantisers (one per 128-bit lane); at the end of a block the
// four accumulators are reduced together by a lane transpose, put in code order by one
// vpermw and compared with the threshold into a 32-bit mask. Compiled for AVX-512 inside this file
// only.
#if !defined(__clang__)  // GCC 12 false positives inside its own intrinsic headers
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "kernels/cpu/pq_queries.h"
#include "kernels/pq.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,avx512f,avx512bw"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,avx512f,avx512bw")
#endif

namespace {

using he::kernels::cpu::PqSink;

// a0..a3: u16 accumulators of 4 lanes each -> lane i of the result = the sum of a_i's lanes.
inline __m512i sum_lanes4(__m512i a0, __m512i a1, __m512i a2, __m512i a3) {
  const __m512i u0 = _mm512_add_epi16(_mm512_shuffle_i64x2(a0, a1, 0x44),   // a0 L0 L1, a1 L0 L1
                                      _mm512_shuffle_i64x2(a0, a1, 0xee));  // a0 L2 L3, a1 L2 L3
  const __m512i u1 =
      _mm512_add_epi16(_mm512_shuffle_i64x2(a2, a3, 0x44), _mm512_shuffle_i64x2(a2, a3, 0xee));
  return _mm512_add_epi16(_mm512_shuffle_i64x2(u0, u1, 0x88),   // lanes 0, 2 of u0, u1
                          _mm512_shuffle_i64x2(u0, u1, 0xdd));  // lanes 1, 3
}

// Lane 0: even codes 0..14, lane 1: odd codes 1..15, lane 2: even 16..30, lane 3: odd 17..31
// (8 u16 each) -> the 32 distances in code order.
inline __m512i code_order(__m512i s) {
  alignas(64) static constexpr uint16_t kIdx[32] = {0,  8,  1,  9,  2,  10, 3,  11, 4,  12, 5,
                                                    13, 6,  14, 7,  15, 16, 24, 17, 25, 18, 26,
                                                    19, 27, 20, 28, 21, 29, 22, 30, 23, 31};
  return _mm512_permutexvar_epi16(_mm512_load_si512(kIdx), s);
}

// The accumulators add whole u16 words (even byte + 256 * odd byte) for the even codes and the
// odd bytes alone for the odd codes; even = words - (odd << 8), exact modulo 2^16.
template <int NQ>
void scan(const uint8_t* luts8, const uint8_t* packed, size_t mp, size_t b0, size_t b1, size_t n,
          PqSink& sink) {
  const __m512i low4 = _mm512_set1_epi8(0x0f);
  const size_t quads = mp / 4;  // 64-byte steps (mp is a multiple of 4)
  alignas(64) uint16_t dist[32];
  for (size_t b = b0; b < b1; ++b) {
    const uint8_t* blk = packed + b * mp * 16;
    __m512i acc[NQ][4];  // words 0..15, odd 0..15, words 16..31, odd 16..31
    for (int q = 0; q < NQ; ++q)
      for (int a = 0; a < 4; ++a) acc[q][a] = _mm512_setzero_si512();
    for (size_t g = 0; g < quads; ++g) {
      const __m512i v = _mm512_loadu_si512(blk + g * 64);
      const __m512i lo = _mm512_and_si512(v, low4);
      const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), low4);
      for (int q = 0; q < NQ; ++q) {
        const __m512i t = _mm512_loadu_si512(luts8 + q * mp * 16 + g * 64);
        const __m512i dlo = _mm512_shuffle_epi8(t, lo), dhi = _mm512_shuffle_epi8(t, hi);
        acc[q][0] = _mm512_add_epi16(acc[q][0], dlo);
        acc[q][1] = _mm512_add_epi16(acc[q][1], _mm512_srli_epi16(dlo, 8));
        acc[q][2] = _mm512_add_epi16(acc[q][2], dhi);
        acc[q][3] = _mm512_add_epi16(acc[q][3], _mm512_srli_epi16(dhi, 8));
      }
    }
    for (int q = 0; q < NQ; ++q) {
      __m512i s = sum_lanes4(acc[q][0], acc[q][1], acc[q][2], acc[q][3]);
      const __m512i odd = _mm512_shuffle_i64x2(s, s, 0xf5);  // lanes 1, 1, 3, 3
      s = _mm512_mask_sub_epi16(s, 0x00ff00ffu, s, _mm512_slli_epi16(odd, 8));
      const __m512i d = code_order(s);
      uint32_t mask =
          _mm512_cmplt_epu16_mask(d, _mm512_set1_epi16(static_cast<short>(sink.thr[q])));
      if (!mask) continue;
      _mm512_store_si512(dist, d);
      while (mask) {
        const int j = __builtin_ctz(mask);
        mask &= mask - 1;
        if (b * 32 + j >= n) break;
        if (dist[j] < sink.thr[q]) sink.push(q, b * 32 + j, dist[j]);  // the threshold may drop
      }
    }
  }
}

}  // namespace

namespace he::kernels::cpu::detail {

void pq4_scan_avx512(const uint8_t* luts8, size_t nq, const uint8_t* packed, size_t mp, size_t b0,
                     size_t b1, size_t n, PqSink& sink) {
  with_queries(nq, [&]<int Q>() { scan<Q>(luts8, packed, mp, b0, b1, n, sink); });
}

}  // namespace he::kernels::cpu::detail

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
