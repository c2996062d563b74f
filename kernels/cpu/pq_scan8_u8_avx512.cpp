// AVX-512 VBMI scan of 8-bit PQ codes on u8 tables (kernels/pq.h). One subquantiser's row of a
// block is 64 indices; vpermi2b looks each index's low 7 bits up in two 64-byte halves of the
// table at once (entries 0..127 from one pair of vectors, 128..255 from the other) and the
// index's top bit picks between the two results. The u16 sums use the fast scan's trick:
// whole words (even byte + 256 * odd byte) are summed for the even codes and the odd bytes
// alone, so even = words - (odd << 8), exact modulo 2^16. Compiled for AVX-512 VBMI inside
// this file only.
#if !defined(__clang__)  // GCC 12 false positives inside its own intrinsic headers
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "kernels/cpu/pq_queries.h"
#include "kernels/pq.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,avx512f,avx512bw,avx512vbmi,bmi2"))), \
                             apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,avx512f,avx512bw,avx512vbmi,bmi2")
#endif

namespace {

using he::kernels::cpu::PqSink;
constexpr size_t B = he::kernels::cpu::kPq8Block;

// The lanes of u16 vectors `even` (codes 0, 2, .., 62) and `odd` (1, 3, .., 63) under the
// threshold, as one mask in code order.
inline uint64_t below(__m512i even, __m512i odd, uint16_t thr) {
  const __m512i t = _mm512_set1_epi16(static_cast<short>(thr));
  const uint64_t e = _cvtmask32_u32(_mm512_cmplt_epu16_mask(even, t));
  const uint64_t o = _cvtmask32_u32(_mm512_cmplt_epu16_mask(odd, t));
  if (!(e | o)) return 0;
  return _pdep_u64(e, 0x5555555555555555ull) | _pdep_u64(o, 0xaaaaaaaaaaaaaaaaull);
}

template <int NQ>
void scan(const uint8_t* luts8, const uint8_t* packed, size_t m, size_t b0, size_t b1, size_t n,
          PqSink& sink) {
  alignas(64) uint16_t dist[2][32];  // even codes, odd codes
  for (size_t b = b0; b < b1; ++b) {
    const uint8_t* blk = packed + b * m * B;
    __m512i words[NQ], odd[NQ];
    for (int q = 0; q < NQ; ++q) words[q] = odd[q] = _mm512_setzero_si512();
    for (size_t j = 0; j < m; ++j) {
      const __m512i idx = _mm512_loadu_si512(blk + j * B);
      const __mmask64 top = _mm512_movepi8_mask(idx);  // index >= 128
      for (int q = 0; q < NQ; ++q) {
        const uint8_t* t = luts8 + (q * m + j) * 256;
        const __m512i lo =
            _mm512_permutex2var_epi8(_mm512_loadu_si512(t), idx, _mm512_loadu_si512(t + 64));
        const __m512i hi =
            _mm512_permutex2var_epi8(_mm512_loadu_si512(t + 128), idx, _mm512_loadu_si512(t + 192));
        const __m512i v = _mm512_mask_blend_epi8(top, lo, hi);
        words[q] = _mm512_add_epi16(words[q], v);
        odd[q] = _mm512_add_epi16(odd[q], _mm512_srli_epi16(v, 8));
      }
    }
    for (int q = 0; q < NQ; ++q) {
      const __m512i even = _mm512_sub_epi16(words[q], _mm512_slli_epi16(odd[q], 8));
      uint64_t mask = below(even, odd[q], sink.thr[q]);
      if (!mask) continue;
      _mm512_store_si512(dist[0], even);
      _mm512_store_si512(dist[1], odd[q]);
      while (mask) {
        const int i = __builtin_ctzll(mask);
        mask &= mask - 1;
        if (b * B + i >= n) break;
        const uint16_t d = dist[i & 1][i >> 1];
        if (d < sink.thr[q]) sink.push(q, b * B + i, d);  // the threshold may drop
      }
    }
  }
}

}  // namespace

namespace he::kernels::cpu::detail {

void pq8_u8_scan_avx512(const uint8_t* luts8, size_t nq, const uint8_t* packed, size_t m, size_t b0,
                        size_t b1, size_t n, PqSink& sink) {
  with_queries(nq, [&]<int Q>() { scan<Q>(luts8, packed, m, b0, b1, n, sink); });
}

}  // namespace he::kernels::cpu::detail

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
