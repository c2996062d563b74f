// AVX2 8-bit ADC scan (kernels/pq.h): a quarter of a block's 64-byte row widened to two sets
// of 8 indices feeds two 8-lane gathers per query, so 16 codes advance one subquantiser per
// pair of gathers and the index widening is shared by up to 4 queries. Compiled for AVX2
// inside this file only.
#if !defined(__clang__)  // GCC 12 false positives inside its own intrinsic headers
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "kernels/pq.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#endif

namespace {

template <int Q>
void scan(const float* luts, const uint8_t* packed, size_t m, size_t b0, size_t b1, float* out,
          size_t width) {
  constexpr size_t B = he::kernels::cpu::kPq8Block;
  for (size_t b = b0; b < b1; ++b)
    for (size_t c = 0; c < B; c += 16) {  // 16 codes of the block
      const uint8_t* blk = packed + b * m * B + c;
      __m256 lo[Q], hi[Q];
      for (int q = 0; q < Q; ++q) lo[q] = hi[q] = _mm256_setzero_ps();
      for (size_t j = 0; j < m; ++j) {
        const __m128i row = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk + j * B));
        const __m256i ilo = _mm256_cvtepu8_epi32(row);
        const __m256i ihi = _mm256_cvtepu8_epi32(_mm_srli_si128(row, 8));
        for (int q = 0; q < Q; ++q) {
          const float* t = luts + q * m * 256 + j * 256;
          lo[q] = _mm256_add_ps(lo[q], _mm256_i32gather_ps(t, ilo, 4));
          hi[q] = _mm256_add_ps(hi[q], _mm256_i32gather_ps(t, ihi, 4));
        }
      }
      float* o = out + (b - b0) * B + c;
      for (int q = 0; q < Q; ++q) {
        _mm256_storeu_ps(o + q * width, lo[q]);
        _mm256_storeu_ps(o + q * width + 8, hi[q]);
      }
    }
}

}  // namespace

namespace he::kernels::cpu::detail {

void pq8_scan_avx2(const float* luts, size_t nq, const uint8_t* packed, size_t m, size_t b0,
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
