// 4-bit PQ fast scan (kernels/pq.h): the packed layout, the scalar reference scan every SIMD
// path is tested against, and the dispatch to the path of the chosen instruction set.
#include <cstring>
#include <stdexcept>
#include <string>

#include "kernels/pq.h"

namespace he::kernels::cpu {

size_t pq4_padded_m(size_t m) { return (m + 3) / 4 * 4; }
size_t pq4_blocks(size_t n) { return (n + 31) / 32; }

namespace {
// Byte offset of (code j of a block, subquantiser s) inside the block, and its nibble shift.
inline size_t nibble_byte(size_t s, size_t j) { return (s / 2) * 32 + (s % 2) * 16 + j % 16; }
inline int nibble_shift(size_t j) { return j < 16 ? 0 : 4; }
}  // namespace

void pq4_pack(const uint8_t* codes, size_t n, size_t m, uint8_t* packed) {
  const size_t mp = pq4_padded_m(m), block_bytes = mp * 16;
  std::memset(packed, 0, pq4_blocks(n) * block_bytes);
  for (size_t i = 0; i < n; ++i) {
    uint8_t* blk = packed + (i / 32) * block_bytes;
    for (size_t s = 0; s < m; ++s) {
      const uint8_t c = codes[i * m + s];
      if (c > 15)
        throw std::invalid_argument("pq4_pack: code value " + std::to_string(c) + " > 15");
      blk[nibble_byte(s, i % 32)] |= static_cast<uint8_t>(c << nibble_shift(i % 32));
    }
  }
}

void pq4_unpack_one(const uint8_t* packed, size_t i, size_t m, uint8_t* code) {
  const uint8_t* blk = packed + (i / 32) * pq4_padded_m(m) * 16;
  for (size_t s = 0; s < m; ++s)
    code[s] = (blk[nibble_byte(s, i % 32)] >> nibble_shift(i % 32)) & 15;
}

namespace detail {

// Per block: queries in order, codes in ascending order; the threshold re-read per code.
void pq4_scan_scalar(const uint8_t* luts8, size_t nq, const uint8_t* packed, size_t mp, size_t b0,
                     size_t b1, size_t n, PqSink& sink) {
  for (size_t b = b0; b < b1; ++b) {
    const uint8_t* blk = packed + b * mp * 16;
    for (size_t q = 0; q < nq; ++q) {
      const uint8_t* lut = luts8 + q * mp * 16;
      for (size_t j = 0; j < 32 && b * 32 + j < n; ++j) {
        uint32_t d = 0;
        for (size_t s = 0; s < mp; ++s)
          d += lut[s * 16 + ((blk[nibble_byte(s, j)] >> nibble_shift(j)) & 15)];
        if (d < sink.thr[q]) sink.push(static_cast<int>(q), b * 32 + j, static_cast<uint16_t>(d));
      }
    }
  }
}

}  // namespace detail

void pq4_scan(const uint8_t* luts8, size_t nq, const uint8_t* packed, size_t mp, size_t b0,
              size_t b1, size_t n, PqSink& sink, PqIsa isa) {
  if (nq < 1 || nq > static_cast<size_t>(kPqMaxQueries) || mp % 4 != 0 || mp > 256)
    throw std::invalid_argument(
        "pq4_scan: need 1 <= nq <= 4 and mp a multiple of 4 <= 256; got nq=" + std::to_string(nq) +
        " mp=" + std::to_string(mp));
  if (isa == PqIsa::Auto) isa = pq_best_isa();
  if (!pq_isa_supported(isa))
    throw std::invalid_argument(std::string("pq4_scan: ISA ") + pq_isa_name(isa) +
                                " is not supported by this CPU");
  const detail::Pq4ScanFn fn = isa == PqIsa::Avx512 ? detail::pq4_scan_avx512
                               : isa == PqIsa::Avx2 ? detail::pq4_scan_avx2
                                                    : detail::pq4_scan_scalar;
  fn(luts8, nq, packed, mp, b0, b1, n, sink);
}

}  // namespace he::kernels::cpu
