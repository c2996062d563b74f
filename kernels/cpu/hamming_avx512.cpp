// AVX-512 scan loops: XOR + VPOPCNTQ on 8 codes per instruction, 8 queries per pass so one
// load of the database serves eight queries. Compiled for avx512f + avx512vpopcntdq only
// inside this file; hamming.cpp calls it only when the CPU reports both.
// GCC 12 false positive inside its own intrinsic headers (_mm512_undefined_epi32).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstring>

#include "kernels/cpu/hamming_internal.h"

// clang ignores GCC target pragmas; its attribute pragma does the same job.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512dq,avx512vpopcntdq,popcnt"))), \
                             apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vpopcntdq,popcnt")
#endif

namespace {

using he::kernels::cpu::detail::GroupSink;
using he::kernels::cpu::detail::kGroup;

// Query patterns matching the row-major layout of 8 codes: W=1 broadcast q0; W=2
// (q0,q1,q0,q1,...); W=4 (q0..q3,q0..q3).
template <int W>
inline __m512i pattern(const uint64_t* q) {
  if constexpr (W == 1) return _mm512_set1_epi64(static_cast<long long>(q[0]));
  if constexpr (W == 2) return _mm512_set4_epi64(q[1], q[0], q[1], q[0]);
  if constexpr (W == 4) return _mm512_set4_epi64(q[3], q[2], q[1], q[0]);
}

inline __m512i pair_sum(__m512i a, __m512i b) {
  const __m512i even = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i odd = _mm512_set_epi64(15, 13, 11, 9, 7, 5, 3, 1);
  return _mm512_add_epi64(_mm512_permutex2var_epi64(a, even, b),
                          _mm512_permutex2var_epi64(a, odd, b));
}

// Distances of 8 consecutive codes starting at c (row-major, W words each) to one query.
template <int W>
inline __m512i dist8(const uint64_t* c, __m512i qp) {
  auto pc = [&](int off) {
    return _mm512_popcnt_epi64(_mm512_xor_si512(_mm512_loadu_si512(c + off), qp));
  };
  if constexpr (W == 1) return pc(0);
  if constexpr (W == 2) return pair_sum(pc(0), pc(8));
  if constexpr (W == 4) return pair_sum(pair_sum(pc(0), pc(8)), pair_sum(pc(16), pc(24)));
}

template <int W>
void scan_chunk(const uint64_t* c, size_t base, __mmask8 valid, const __m512i* qp,
                GroupSink& sink) {
  __m512i thr[kGroup];
  for (int g = 0; g < kGroup; ++g) thr[g] = _mm512_set1_epi64(sink.thr[g]);
  __mmask8 m[kGroup];
  __mmask8 any = 0;
  for (int g = 0; g < kGroup; ++g) {
    m[g] = _mm512_mask_cmple_epi64_mask(valid, dist8<W>(c, qp[g]), thr[g]);
    any |= m[g];
  }
  if (!any) return;
  for (int g = 0; g < kGroup; ++g) {
    if (!m[g]) continue;
    alignas(64) uint64_t d[8];
    _mm512_store_si512(d, dist8<W>(c, qp[g]));
    for (int l = 0; l < 8; ++l)  // thresholds may drop while pushing: re-check each lane
      if ((m[g] >> l & 1) && static_cast<int64_t>(d[l]) <= sink.thr[g])
        sink.push(g, base + l, static_cast<uint32_t>(d[l]));
  }
}

template <int W>
void scan_t(const uint64_t* q8, const uint64_t* db, size_t lo, size_t hi, GroupSink& sink) {
  __m512i qp[kGroup];
  for (int g = 0; g < kGroup; ++g) qp[g] = pattern<W>(q8 + g * W);
  size_t i = lo;
  // Hot loop: thresholds live in registers and are reloaded only after a hit. d - (thr + 1)
  // is negative exactly on a hit, so OR-ing the differences of all eight queries and
  // testing the sign bits costs one mask extraction per chunk instead of eight compares.
  __m512i thr1[kGroup];
  auto load_thr = [&] {
    for (int g = 0; g < kGroup; ++g) thr1[g] = _mm512_set1_epi64(sink.thr[g] + 1);
  };
  load_thr();
  for (; i + 8 <= hi; i += 8) {
    const uint64_t* c = db + i * W;
    __m512i acc = _mm512_sub_epi64(dist8<W>(c, qp[0]), thr1[0]);
    for (int g = 1; g < kGroup; ++g)
      acc = _mm512_or_si512(acc, _mm512_sub_epi64(dist8<W>(c, qp[g]), thr1[g]));
    if (_mm512_movepi64_mask(acc)) {
      scan_chunk<W>(c, i, 0xFF, qp, sink);
      load_thr();
    }
  }
  if (i < hi) {  // tail: copy into a zero-padded chunk, mask the missing lanes
    alignas(64) uint64_t tail[8 * W] = {};
    std::memcpy(tail, db + i * W, (hi - i) * W * sizeof(uint64_t));
    scan_chunk<W>(tail, i, static_cast<__mmask8>((1u << (hi - i)) - 1), qp, sink);
  }
}

// Codes of other widths (3, 5, 6, ... words): one code at a time with scalar POPCNT.
void scan_generic(const uint64_t* q8, const uint64_t* db, size_t lo, size_t hi, size_t words,
                  GroupSink& sink) {
  for (size_t i = lo; i < hi; ++i) {
    const uint64_t* c = db + i * words;
    for (int g = 0; g < kGroup; ++g) {
      uint32_t d = 0;
      for (size_t w = 0; w < words; ++w) d += __builtin_popcountll(q8[g * words + w] ^ c[w]);
      if (static_cast<int64_t>(d) <= sink.thr[g]) sink.push(g, i, d);
    }
  }
}

void scan_any(const uint64_t* q8, const uint64_t* db, size_t lo, size_t hi, size_t words,
              GroupSink& sink) {
  switch (words) {
    case 1:
      return scan_t<1>(q8, db, lo, hi, sink);
    case 2:
      return scan_t<2>(q8, db, lo, hi, sink);
    case 4:
      return scan_t<4>(q8, db, lo, hi, sink);
    default:
      return scan_generic(q8, db, lo, hi, words, sink);
  }
}

template <int W>
uint64_t sum_t(const uint64_t* q8, const uint64_t* db, size_t lo, size_t hi) {
  __m512i qp[kGroup];
  for (int g = 0; g < kGroup; ++g) qp[g] = pattern<W>(q8 + g * W);
  __m512i acc = _mm512_setzero_si512();
  size_t i = lo;
  for (; i + 8 <= hi; i += 8)
    for (int g = 0; g < kGroup; ++g) acc = _mm512_add_epi64(acc, dist8<W>(db + i * W, qp[g]));
  uint64_t s = static_cast<uint64_t>(_mm512_reduce_add_epi64(acc));
  for (; i < hi; ++i)
    for (int g = 0; g < kGroup; ++g)
      for (int w = 0; w < W; ++w) s += __builtin_popcountll(q8[g * W + w] ^ db[i * W + w]);
  return s;
}

uint64_t sum_any(const uint64_t* q8, const uint64_t* db, size_t lo, size_t hi, size_t words) {
  switch (words) {
    case 1:
      return sum_t<1>(q8, db, lo, hi);
    case 2:
      return sum_t<2>(q8, db, lo, hi);
    case 4:
      return sum_t<4>(q8, db, lo, hi);
    default: {
      uint64_t s = 0;
      for (size_t i = lo; i < hi; ++i)
        for (int g = 0; g < kGroup; ++g)
          for (size_t w = 0; w < words; ++w)
            s += __builtin_popcountll(q8[g * words + w] ^ db[i * words + w]);
      return s;
    }
  }
}

template <int W>
void row_t(const uint64_t* q, const uint64_t* db, size_t n, uint16_t* out) {
  const __m512i qp = pattern<W>(q);
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i),
                     _mm512_cvtepi64_epi16(dist8<W>(db + i * W, qp)));
  for (; i < n; ++i) {
    uint32_t d = 0;
    for (int w = 0; w < W; ++w) d += __builtin_popcountll(q[w] ^ db[i * W + w]);
    out[i] = static_cast<uint16_t>(d);
  }
}

void row_any(const uint64_t* q, const uint64_t* db, size_t n, size_t words, uint16_t* out) {
  switch (words) {
    case 1:
      return row_t<1>(q, db, n, out);
    case 2:
      return row_t<2>(q, db, n, out);
    case 4:
      return row_t<4>(q, db, n, out);
    default:
      for (size_t i = 0; i < n; ++i) {
        uint32_t d = 0;
        for (size_t w = 0; w < words; ++w) d += __builtin_popcountll(q[w] ^ db[i * words + w]);
        out[i] = static_cast<uint16_t>(d);
      }
  }
}

}  // namespace

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

namespace he::kernels::cpu::detail {

const IsaKernels& avx512_kernels() {
  static const IsaKernels k{scan_any, sum_any, row_any};
  return k;
}

}  // namespace he::kernels::cpu::detail
