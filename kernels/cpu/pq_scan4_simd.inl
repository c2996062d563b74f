// Shared by pq_scan4_avx2.cpp and pq_scan4_avx512.cpp (included inside their target pragma):
// turning lane-split u16 accumulators into 16 distances and handing the ones under the
// threshold to the sink, in ascending code order.

namespace {

using he::kernels::cpu::Pq4Sink;

// even/odd: u16 accumulators whose 128-bit lanes each hold, at u16 k, the partial sums of
// codes 2k (even) or 2k+1 (odd) over one share of the subquantisers; -> 16 u16 distances.
inline __m256i combine_lanes(__m128i even, __m128i odd) {
  return _mm256_set_m128i(_mm_unpackhi_epi16(even, odd), _mm_unpacklo_epi16(even, odd));
}

// d: distances of codes base .. base+15 for query q.
inline void emit16(__m256i d, size_t base, int q, size_t n, Pq4Sink& sink) {
  const uint16_t t = sink.thr[q];
  if (t == 0) return;
  const __m256i tm1 = _mm256_set1_epi16(static_cast<short>(t - 1));
  uint32_t mask =
      static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi16(_mm256_min_epu16(d, tm1), d))) &
      0x55555555u;
  if (!mask) return;
  alignas(32) uint16_t v[16];
  _mm256_store_si256(reinterpret_cast<__m256i*>(v), d);
  while (mask) {
    const int j = __builtin_ctz(mask) / 2;
    mask &= mask - 1;
    if (base + j >= n) return;
    if (v[j] < sink.thr[q]) sink.push(q, base + j, v[j]);  // the threshold may have dropped
  }
}

}  // namespace
