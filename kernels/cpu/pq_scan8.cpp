// 8-bit PQ ADC scan (kernels/pq.h): the blocked layout, the scalar reference every SIMD path
// is tested against, and the dispatch to the path of the chosen instruction set.
#include <cstring>
#include <stdexcept>
#include <string>

#include "kernels/cpu/clones.h"
#include "kernels/pq.h"

namespace he::kernels::cpu {

size_t pq8_blocks(size_t n) { return (n + 15) / 16; }

void pq8_pack(const uint8_t* codes, size_t n, size_t m, uint8_t* packed) {
  std::memset(packed, 0, pq8_blocks(n) * m * 16);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < m; ++j) packed[(i / 16) * m * 16 + j * 16 + i % 16] = codes[i * m + j];
}

namespace detail {

void pq8_scan_scalar(const float* luts, size_t nq, const uint8_t* packed, size_t m, size_t b0,
                     size_t b1, float* out) {
  const size_t width = (b1 - b0) * 16;
  for (size_t b = b0; b < b1; ++b) {
    const uint8_t* blk = packed + b * m * 16;
    for (size_t q = 0; q < nq; ++q) {
      const float* lut = luts + q * m * 256;
      for (size_t i = 0; i < 16; ++i) {
        float acc = 0;
        for (size_t j = 0; j < m; ++j) acc += lut[j * 256 + blk[j * 16 + i]];
        out[q * width + (b - b0) * 16 + i] = acc;
      }
    }
  }
}

}  // namespace detail

HE_CLONES void pq_add_tables(const float* a, const float* b, size_t n, float* out) {
  for (size_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
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

}  // namespace he::kernels::cpu
