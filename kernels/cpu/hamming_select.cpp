// Counting selection over the bits + 1 possible distances (see hamming_internal.h).
#include <algorithm>
#include <cassert>

#include "kernels/cpu/hamming_internal.h"

namespace he::kernels::cpu::detail {

void QueryCandidates::reset_knn(size_t k_, int bits) {
  keys.clear();
  k = k_;
  thr = bits;  // accept everything until k entries are in
  cap = std::max<size_t>(2 * k_, k_ + 64);
  le_thr = 0;
  hist.assign(static_cast<size_t>(bits) + 1, 0u);
}

void QueryCandidates::reset_radius(int r) {
  keys.clear();
  k = 0;
  thr = r;
  cap = 0;
}

void QueryCandidates::push(uint64_t id, uint32_t d) {
  assert(static_cast<int64_t>(d) <= thr);
  keys.push_back((uint64_t{d} << kIdBits) | id);
  if (k == 0) return;
  ++hist[d];
  // While k accepted entries lie within thr, the k-th distance is <= thr: lower thr. Each
  // query lowers it at most `bits` times, so this is O(1) amortised.
  if (++le_thr >= k) {
    while (le_thr >= k && thr >= 0) le_thr -= hist[thr--];
  }
  if (keys.size() >= cap) compact();
}

void QueryCandidates::compact() {
  if (k == 0 || keys.size() <= k) return;
  // Keep every entry within thr (le_thr < k of them) and the first k - le_thr at thr + 1,
  // the k-th distance; later ones at that distance lose the tie by index.
  const uint32_t t = static_cast<uint32_t>(thr + 1);
  size_t at_t = k - le_thr, out = 0;
  for (uint64_t key : keys) {
    uint32_t d = static_cast<uint32_t>(key >> kIdBits);
    if (d < t || (d == t && at_t > 0)) {
      if (d == t) --at_t;
      keys[out++] = key;
    }
  }
  assert(out == k);
  keys.resize(out);
  if (t < hist.size()) {
    hist[t] = static_cast<uint32_t>(k - le_thr);
    std::fill(hist.begin() + t + 1, hist.end(), 0u);
  }
}

size_t select_sorted(const std::vector<uint64_t>& keys, int bits, size_t limit,
                     std::vector<uint32_t>& hist, uint64_t* out) {
  hist.assign(static_cast<size_t>(bits) + 2, 0u);
  for (uint64_t key : keys) ++hist[(key >> kIdBits) + 1];
  for (int d = 0; d <= bits; ++d) hist[d + 1] += hist[d];  // hist[d] = first slot of d
  size_t total = std::min(limit, keys.size());
  for (uint64_t key : keys) {
    uint32_t& pos = hist[key >> kIdBits];
    if (pos < total) out[pos] = key;
    ++pos;
  }
  return total;
}

}  // namespace he::kernels::cpu::detail
