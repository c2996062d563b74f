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

namespace {

bool share_label(const uint8_t* a, const uint8_t* b, int64_t c) {
  for (int64_t k = 0; k < c; ++k)
    if (a[k] && b[k]) return true;
  return false;
}

// An index j != anchor with related(j) == want: 64 uniform draws, then a scan of all items
// from a random start; -1 when none exists.
template <class Related>
int64_t find_partner(int64_t n, int64_t anchor, bool want, Related related, Generator& gen) {
  for (int t = 0; t < 64; ++t) {
    int64_t j = static_cast<int64_t>(gen.below(static_cast<uint64_t>(n)));
    if (j != anchor && related(j) == want) return j;
  }
  const int64_t start = static_cast<int64_t>(gen.below(static_cast<uint64_t>(n)));
  for (int64_t s = 0; s < n; ++s) {
    int64_t j = (start + s) % n;
    if (j != anchor && related(j) == want) return j;
  }
  return -1;
}

}  // namespace

std::vector<Triplet> sample_triplets_multi_hot(const std::vector<uint8_t>& multi_hot,
                                               int64_t num_classes,
                                               const std::vector<int64_t>& anchors,
                                               Generator& gen) {
  if (num_classes <= 0 || multi_hot.size() % num_classes != 0)
    throw std::runtime_error(fmt::format("sample_triplets_multi_hot: {} values are not rows of {}",
                                         multi_hot.size(), num_classes));
  const int64_t n = static_cast<int64_t>(multi_hot.size()) / num_classes;
  std::vector<Triplet> out;
  out.reserve(anchors.size());
  for (int64_t a : anchors) {
    if (a < 0 || a >= n)
      throw std::runtime_error(
          fmt::format("sample_triplets_multi_hot: anchor {} outside [0, {})", a, n));
    const uint8_t* row = multi_hot.data() + a * num_classes;
    auto related = [&](int64_t j) {
      return share_label(row, multi_hot.data() + j * num_classes, num_classes);
    };
    int64_t pos = find_partner(n, a, true, related, gen);
    int64_t neg = find_partner(n, a, false, related, gen);
    if (neg < 0)
      throw std::runtime_error(
          fmt::format("sample_triplets_multi_hot: no item shares no label with anchor {}", a));
    out.push_back({a, pos < 0 ? a : pos, neg});
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
