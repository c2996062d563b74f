// Portable scan loops, included by hamming_scalar.cpp (baseline x86-64) and by
// hamming_popcnt.cpp (compiled for the POPCNT instruction). Not a header of its own.
// Everything here has internal linkage and uses the builtin, so the two compilations never
// merge (no ODR clash between the POPCNT and the baseline copies).
#include <cstddef>
#include <cstdint>

#include "kernels/cpu/hamming_internal.h"

namespace {

using he::kernels::cpu::detail::GroupSink;
using he::kernels::cpu::detail::kGroup;

template <int W>
inline uint32_t dist_code(const uint64_t* a, const uint64_t* b, size_t words) {
  uint32_t d = 0;
  if constexpr (W > 0) {
    for (int w = 0; w < W; ++w) d += __builtin_popcountll(a[w] ^ b[w]);
  } else {
    for (size_t w = 0; w < words; ++w) d += __builtin_popcountll(a[w] ^ b[w]);
  }
  return d;
}

template <int W>
void scan_t(const uint64_t* q8, const uint64_t* db, size_t lo, size_t hi, size_t words,
            GroupSink& sink) {
  for (size_t i = lo; i < hi; ++i) {
    const uint64_t* c = db + i * words;
    for (int g = 0; g < kGroup; ++g) {
      uint32_t d = dist_code<W>(q8 + g * words, c, words);
      if (static_cast<int64_t>(d) <= sink.thr[g]) sink.push(g, i, d);
    }
  }
}

template <int W>
uint64_t sum_t(const uint64_t* q8, const uint64_t* db, size_t lo, size_t hi, size_t words) {
  uint64_t s = 0;
  for (size_t i = lo; i < hi; ++i)
    for (int g = 0; g < kGroup; ++g) s += dist_code<W>(q8 + g * words, db + i * words, words);
  return s;
}

template <int W>
void row_t(const uint64_t* q, const uint64_t* db, size_t n, size_t words, uint16_t* out) {
  for (size_t i = 0; i < n; ++i)
    out[i] = static_cast<uint16_t>(dist_code<W>(q, db + i * words, words));
}

void scan_any(const uint64_t* q8, const uint64_t* db, size_t lo, size_t hi, size_t words,
              GroupSink& sink) {
  switch (words) {
    case 1:
      return scan_t<1>(q8, db, lo, hi, words, sink);
    case 2:
      return scan_t<2>(q8, db, lo, hi, words, sink);
    case 4:
      return scan_t<4>(q8, db, lo, hi, words, sink);
    default:
      return scan_t<0>(q8, db, lo, hi, words, sink);
  }
}

uint64_t sum_any(const uint64_t* q8, const uint64_t* db, size_t lo, size_t hi, size_t words) {
  switch (words) {
    case 1:
      return sum_t<1>(q8, db, lo, hi, words);
    case 2:
      return sum_t<2>(q8, db, lo, hi, words);
    case 4:
      return sum_t<4>(q8, db, lo, hi, words);
    default:
      return sum_t<0>(q8, db, lo, hi, words);
  }
}

void row_any(const uint64_t* q, const uint64_t* db, size_t n, size_t words, uint16_t* out) {
  switch (words) {
    case 1:
      return row_t<1>(q, db, n, words, out);
    case 2:
      return row_t<2>(q, db, n, words, out);
    case 4:
      return row_t<4>(q, db, n, words, out);
    default:
      return row_t<0>(q, db, n, words, out);
  }
}

}  // namespace
