// AVX2 scan loops for CPUs without AVX-512 VPOPCNTDQ: popcount of 4 x u64 per ymm by a
// nibble lookup (vpshufb) summed with vpsadbw, 8 queries per pass over the database.
// Compiled for avx2 only inside this file; hamming.cpp calls it only when the CPU has AVX2.
// GCC 12 false positive inside its own intrinsic headers.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <cstring>

#include "kernels/cpu/hamming_internal.h"

// clang ignores GCC target pragmas; its attribute pragma does the same job.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,popcnt"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,popcnt")
#endif

namespace {

using he::kernels::cpu::detail::GroupSink;
using he::kernels::cpu::detail::kGroup;

inline __m256i popcnt64(__m256i v) {
  const __m256i lut = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2,
                                       1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i low = _mm256_set1_epi8(0x0f);
  __m256i c =
      _mm256_add_epi8(_mm256_shuffle_epi8(lut, _mm256_and_si256(v, low)),
                      _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(v, 4), low)));
  return _mm256_sad_epu8(c, _mm256_setzero_si256());
}

// Query patterns matching 4 consecutive row-major codes: W=1 broadcast, W=2 (q0,q1,q0,q1),
// W=4 (q0,q1,q2,q3).
template <int W>
inline __m256i pattern(const uint64_t* q) {
  if constexpr (W == 1) return _mm256_set1_epi64x(static_cast<long long>(q[0]));
  if constexpr (W == 2) return _mm256_setr_epi64x(q[0], q[1], q[0], q[1]);
  if constexpr (W == 4) return _mm256_setr_epi64x(q[0], q[1], q[2], q[3]);
}

// Distances of 4 consecutive codes starting at c to one query, lanes in code order.
template <int W>
inline __m256i dist4(const uint64_t* c, __m256i qp) {
  auto pc = [&](int off) {
    return popcnt64(
        _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + off)), qp));
  };
  if constexpr (W == 1) return pc(0);
  if constexpr (W == 2) {
    __m256i a = pc(0), b = pc(4);  // [c0w0 c0w1 c1w0 c1w1], [c2w0 c2w1 c3w0 c3w1]
    __m256i s = _mm256_add_epi64(_mm256_unpacklo_epi64(a, b), _mm256_unpackhi_epi64(a, b));
    return _mm256_permute4x64_epi64(s, 0xD8);  // [c0 c2 c1 c3] -> [c0 c1 c2 c3]
  }
  if constexpr (W == 4) {
    __m256i p0 = pc(0), p1 = pc(4), p2 = pc(8), p3 = pc(12);
    __m256i s01 = _mm256_add_epi64(_mm256_unpacklo_epi64(p0, p1), _mm256_unpackhi_epi64(p0, p1));
    __m256i s23 = _mm256_add_epi64(_mm256_unpacklo_epi64(p2, p3), _mm256_unpackhi_epi64(p2, p3));
    __m256i x = _mm256_unpacklo_epi64(s01, s23), y = _mm256_unpackhi_epi64(s01, s23);
    __m256i s = _mm256_add_epi64(_mm256_permute2x128_si256(x, y, 0x20),
                                 _mm256_permute2x128_si256(x, y, 0x31));
    return _mm256_permute4x64_epi64(s, 0xD8);
  }
}

template <int W>
void handle_chunk(const uint64_t* c, size_t base, int valid, const __m256i* qp, GroupSink& sink) {
  for (int g = 0; g < kGroup; ++g) {
    alignas(32) uint64_t d[4];
    _mm256_store_si256(reinterpret_cast<__m256i*>(d), dist4<W>(c, qp[g]));
    for (int l = 0; l < valid; ++l)
      if (static_cast<int64_t>(d[l]) <= sink.thr[g])
        sink.push(g, base + l, static_cast<uint32_t>(d[l]));
  }
}

template <int W>
void scan_t(const uint64_t* q8, const uint64_t* db, size_t lo, size_t hi, GroupSink& sink) {
  __m256i qp[kGroup], thr1[kGroup];
  for (int g = 0; g < kGroup; ++g) qp[g] = pattern<W>(q8 + g * W);
  auto load_thr = [&] {
    for (int g = 0; g < kGroup; ++g) thr1[g] = _mm256_set1_epi64x(sink.thr[g] + 1);
  };
  load_thr();
  size_t i = lo;
  for (; i + 4 <= hi; i += 4) {  // d - (thr + 1) < 0 exactly on a hit: one sign test
    const uint64_t* c = db + i * W;
    __m256i acc = _mm256_sub_epi64(dist4<W>(c, qp[0]), thr1[0]);
    for (int g = 1; g < kGroup; ++g)
      acc = _mm256_or_si256(acc, _mm256_sub_epi64(dist4<W>(c, qp[g]), thr1[g]));
    if (_mm256_movemask_pd(_mm256_castsi256_pd(acc))) {
      handle_chunk<W>(c, i, 4, qp, sink);
      load_thr();
    }
  }
  if (i < hi) {  // tail: zero-padded copy, only the real lanes are considered
    alignas(32) uint64_t tail[4 * W] = {};
    std::memcpy(tail, db + i * W, (hi - i) * W * sizeof(uint64_t));
    handle_chunk<W>(tail, i, static_cast<int>(hi - i), qp, sink);
  }
}

uint32_t dist_scalar(const uint64_t* a, const uint64_t* b, size_t words) {
  uint32_t d = 0;
  for (size_t w = 0; w < words; ++w) d += __builtin_popcountll(a[w] ^ b[w]);
  return d;
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
  }
  for (size_t i = lo; i < hi; ++i)
    for (int g = 0; g < kGroup; ++g) {
      uint32_t d = dist_scalar(q8 + g * words, db + i * words, words);
      if (static_cast<int64_t>(d) <= sink.thr[g]) sink.push(g, i, d);
    }
}

template <int W>
uint64_t sum_t(const uint64_t* q8, const uint64_t* db, size_t lo, size_t hi) {
  __m256i qp[kGroup];
  for (int g = 0; g < kGroup; ++g) qp[g] = pattern<W>(q8 + g * W);
  __m256i acc = _mm256_setzero_si256();
  size_t i = lo;
  for (; i + 4 <= hi; i += 4)
    for (int g = 0; g < kGroup; ++g) acc = _mm256_add_epi64(acc, dist4<W>(db + i * W, qp[g]));
  alignas(32) uint64_t a[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(a), acc);
  uint64_t s = a[0] + a[1] + a[2] + a[3];
  for (; i < hi; ++i)
    for (int g = 0; g < kGroup; ++g) s += dist_scalar(q8 + g * W, db + i * W, W);
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
  }
  uint64_t s = 0;
  for (size_t i = lo; i < hi; ++i)
    for (int g = 0; g < kGroup; ++g) s += dist_scalar(q8 + g * words, db + i * words, words);
  return s;
}

template <int W>
void row_t(const uint64_t* q, const uint64_t* db, size_t n, uint16_t* out) {
  const __m256i qp = pattern<W>(q);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    alignas(32) uint64_t d[4];
    _mm256_store_si256(reinterpret_cast<__m256i*>(d), dist4<W>(db + i * W, qp));
    for (int l = 0; l < 4; ++l) out[i + l] = static_cast<uint16_t>(d[l]);
  }
  for (; i < n; ++i) out[i] = static_cast<uint16_t>(dist_scalar(q, db + i * W, W));
}

void row_any(const uint64_t* q, const uint64_t* db, size_t n, size_t words, uint16_t* out) {
  switch (words) {
    case 1:
      return row_t<1>(q, db, n, out);
    case 2:
      return row_t<2>(q, db, n, out);
    case 4:
      return row_t<4>(q, db, n, out);
  }
  for (size_t i = 0; i < n; ++i)
    out[i] = static_cast<uint16_t>(dist_scalar(q, db + i * words, words));
}

}  // namespace

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

namespace he::kernels::cpu::detail {

const IsaKernels& avx2_kernels() {
  static const IsaKernels k{scan_any, sum_any, row_any};
  return k;
}

}  // namespace he::kernels::cpu::detail
