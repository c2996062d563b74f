#pragma once
// Pair and triplet sampling for siamese / triplet models on single-label data.
#include <cstdint>
#include <vector>

#include "engine/random.h"

namespace he::data {

struct Triplet {
  int64_t anchor, positive, negative;
};
struct Pair {
  int64_t a, b;
  bool similar;  // same label
};

// For each anchor: a positive (same label, another index when the class has one) and a
// negative (a different label), each uniform over its candidates, drawn from `gen` in anchor
// order. labels: (n) class ids >= 0. Throws when an anchor's class covers the whole set.
std::vector<Triplet> sample_triplets(const std::vector<int64_t>& labels,
                                     const std::vector<int64_t>& anchors, Generator& gen);

// Multi-label variant (relevance = at least one shared label). multi_hot: (n, num_classes)
// 0/1. A positive shares a label with the anchor (the anchor itself when nothing else does),
// a negative shares none; each is found by up to 64 uniform draws, then by a scan from a
// random start. Throws when an anchor has no negative.
std::vector<Triplet> sample_triplets_multi_hot(const std::vector<uint8_t>& multi_hot,
                                               int64_t num_classes,
                                               const std::vector<int64_t>& anchors, Generator& gen);

// Balanced pairs: for each anchor, (anchor, positive, true) then (anchor, negative, false).
std::vector<Pair> sample_pairs(const std::vector<int64_t>& labels,
                               const std::vector<int64_t>& anchors, Generator& gen);

}  // namespace he::data
