// 8-bit PQ ADC scans (kernels/pq.h): the blocked layout, the scalar references every SIMD path
// is tested against (float tables and u8 tables), and the dispatch to the path of the chosen
// instruction set.
#include <cstring>
#include <stdexcept>
#include <string>

#include "kernels/pq.h"

namespace he::kernels::cpu {

namespace {
constexpr size_t B = kPq8Block;
}  // namespace

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
