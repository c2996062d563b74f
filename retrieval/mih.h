#pragma once
// Multi-index hashing (Norouzi, Punjani, Fleet, "Fast search in Hamming space with
// multi-index hashing", CVPR 2012): exact Hamming k-NN in sub-linear time on codes that
// are not uniformly spread. Each code is cut into m disjoint substrings, one hash table
// per substring (CSR buckets by substring value, ids ascending inside a bucket). A query
// probes, for r = 0, 1, ..., every bucket within substring distance r, table by table.
// Pigeonhole: after table j at radius r, every code with distance <= m*r + j has been
// seen, so the search stops as soon as k candidates lie within that bound; the result
// is then identical to the exhaustive scan, ties by ascending index included.
#include <cstdint>
#include <vector>

#include "retrieval/codes.h"
#include "retrieval/hamming_search.h"

namespace he::retrieval {

// Default number of substrings: round(bits / log2(n)), at least ceil(bits / 64).
int mih_default_substrings(int bits, size_t n);

// What a search did: queries settled by probing the tables, queries that fell back to the
// exhaustive scan (probing would have cost more), and bucket entries visited.
struct MihStats {
  size_t probed = 0, fallback = 0, candidates = 0;
};

class MihIndex {
 public:
  // Builds the m tables over `codes` (kept by value; cheap for a memory-mapped view).
  // m = 0 picks mih_default_substrings. Throws if m is not in [ceil(bits/64), bits] or
  // n >= 2^32.
  explicit MihIndex(PackedCodes codes, int m = 0);

  const PackedCodes& codes() const { return codes_; }
  int substrings() const { return static_cast<int>(tables_.size()); }

  // queries:(nq,bits) -> (nq,k), identical to hamming_knn. Parallel over queries.
  KnnResult knn(const PackedCodes& queries, size_t k, const SearchOptions& opt = {},
                MihStats* stats = nullptr) const;

 private:
  struct Table {
    int first_bit = 0, len = 0;
    std::vector<uint64_t> mask;     // words_per_code words selecting this substring
    bool dense = false;             // dense: offsets indexed by value (2^len + 1)
    std::vector<uint64_t> keys;     // sparse: sorted distinct values
    std::vector<uint32_t> offsets;  // bucket b = ids[offsets[b], offsets[b+1])
    std::vector<uint32_t> ids;
    std::vector<uint64_t> codes;  // codes of ids[p] at [p * words, (p + 1) * words)
  };
  struct Scratch;
  void build_table(Table& t) const;
  // Returns false when it fell back to the exhaustive scan.
  bool search_one(const uint64_t* q, size_t k, Scratch& s, int64_t* ids, int32_t* dist) const;

  PackedCodes codes_;
  std::vector<Table> tables_;
};

}  // namespace he::retrieval
