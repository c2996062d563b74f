// Counting selection over the bits + 1 possible distances (see hamming_internal.h).
#include <algorithm>
#include <cassert>

#include "kernels/cpu/hamming_internal.h"

namespace he::kernels::cpu::detail {

void QueryCandidates::reset_knn(size_t k_, int bits_, std::vector<uint32_t>* h) {
  keys.clear();
  k = k_;
  bits = bits_;
  thr = bits_;  // accept everything until the first compaction
  cap = std::max<size_t>(2 * k_, k_ + 64);
  hist = h;
}

void QueryCandidates::reset_radius(int r, int bits_) {
  keys.clear();
  k = 0;
  bits = bits_;
  thr = r;
  cap = 0;
  hist = nullptr;
}

void QueryCandidates::push(uint64_t id, uint32_t d) {
  keys.push_back((uint64_t{d} << kIdBits) | id);
  if (k != 0 && keys.size() >= cap) compact();
}

void QueryCandidates::compact() {
  if (keys.size() <= k) return;
  std::vector<uint32_t>& h = *hist;
  std::fill(h.begin(), h.end(), 0u);
  for (uint64_t key : keys) ++h[key >> kIdBits];
  // t = the k-th smallest distance; keep all below t and the first (k - below) at t.
  size_t below = 0;
  uint32_t t = 0;
  while (below + h[t] < k) below += h[t++];
  size_t at_t = k - below;
  size_t out = 0;
  for (uint64_t key : keys) {
    uint32_t d = static_cast<uint32_t>(key >> kIdBits);
    if (d < t || (d == t && at_t > 0)) {
      if (d == t) --at_t;
      keys[out++] = key;
    }
  }
  assert(out == k);
  keys.resize(out);
  thr = static_cast<int64_t>(t) - 1;
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
