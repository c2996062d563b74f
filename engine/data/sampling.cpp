#include "engine/data/sampling.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>

namespace he::data {

std::vector<Triplet> sample_triplets(const std::vector<int64_t>& labels,
                                     const std::vector<int64_t>& anchors, Generator& gen) {
  const int64_t n = static_cast<int64_t>(labels.size());
  // Indices sorted by (label, index): class k occupies [start[k], start[k] + count[k]).
  std::vector<int64_t> by_class(static_cast<size_t>(n));
  std::iota(by_class.begin(), by_class.end(), 0);
  std::stable_sort(by_class.begin(), by_class.end(),
                   [&](int64_t a, int64_t b) { return labels[a] < labels[b]; });
  std::vector<Triplet> out;
  out.reserve(anchors.size());
  for (int64_t a : anchors) {
    if (a < 0 || a >= n)
      throw std::runtime_error(fmt::format("sample_triplets: anchor {} outside [0, {})", a, n));
    auto cmp = [&](int64_t i, int64_t lab) { return labels[i] < lab; };
    const int64_t start =
        std::lower_bound(by_class.begin(), by_class.end(), labels[a], cmp) - by_class.begin();
    int64_t count = 0;
    while (start + count < n && labels[by_class[start + count]] == labels[a]) ++count;
    if (count == n)
      throw std::runtime_error(
          fmt::format("sample_triplets: every item has label {}, no "
                      "negative for anchor {}",
                      labels[a], a));
    int64_t pos = a;
    if (count > 1) {  // uniform over the class minus the anchor
      pos = by_class[start + static_cast<int64_t>(gen.below(count - 1))];
      if (pos == a) pos = by_class[start + count - 1];
    }
    const int64_t r = static_cast<int64_t>(gen.below(static_cast<uint64_t>(n - count)));
    const int64_t neg = by_class[r < start ? r : r + count];
    out.push_back({a, pos, neg});
  }
  return out;
}

std::vector<Pair> sample_pairs(const std::vector<int64_t>& labels,
                               const std::vector<int64_t>& anchors, Generator& gen) {
  std::vector<Pair> out;
  for (const Triplet& t : sample_triplets(labels, anchors, gen)) {
    out.push_back({t.anchor, t.positive, true});
    out.push_back({t.anchor, t.negative, false});
  }
  return out;
}

}  // namespace he::data
