// AVX-512 8-bit ADC scan on float tables (kernels/pq.h): a quarter of a block's 64-byte row
// widened to 16 indices feeds a 16-lane gather per query, so 16 codes advance one subquantiser
// per gather and the index widening is shared by up to 4 queries. Compiled for AVX-512 inside this
// file only.
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

namespace {

template <int Q>
void scan(const float* luts, const uint8_t* packed, size_t m, size_t b0, size_t b1, float* out,
          size_t width) {
  constexpr size_t B = he::kernels::cpu::kPq8Block;
  for (size_t b = b0; b < b1; ++b)
    for (size_t c = 0; c < B; c += 16) {  // 16 codes of the block
      const uint8_t* blk = packed + b * m * B + c;
      __m512 acc[Q];
      for (int q = 0; q < Q; ++q) acc[q] = _mm512_setzero_ps();
      for (size_t j = 0; j < m; ++j) {
        const __m512i idx =
            _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + j * B)));
        for (int q = 0; q < Q; ++q)
          acc[q] = _mm512_add_ps(acc[q], _mm512_i32gather_ps(idx, luts + q * m * 256 + j * 256, 4));
      }
      for (int q = 0; q < Q; ++q) _mm512_storeu_ps(out + q * width + (b - b0) * B + c, acc[q]);
    }
}

}  // namespace

namespace he::kernels::cpu::detail {

void pq8_scan_avx512(const float* luts, size_t nq, const uint8_t* packed, size_t m, size_t b0,
                     size_t b1, float* out) {
  const size_t width = (b1 - b0) * kPq8Block;
  for (size_t q0 = 0; q0 < nq; q0 += 4) {
    const float* l = luts + q0 * m * 256;
    float* o = out + q0 * width;
    switch (nq - q0 >= 4 ? 4 : nq - q0) {
      case 4:
        scan<4>(l, packed, m, b0, b1, o, width);
        break;
      case 3:
        scan<3>(l, packed, m, b0, b1, o, width);
        break;
      case 2:
        scan<2>(l, packed, m, b0, b1, o, width);
        break;
      default:
        scan<1>(l, packed, m, b0, b1, o, width);
        break;
    }
  }
}

}  // namespace he::kernels::cpu::detail

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
