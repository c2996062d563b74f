#pragma once
// Multi-index hashing (Norouzi, Punjani, Fleet, "Fast search in Hamming space with
// multi-index hashing", CVPR 2012): exact Hamming k-NN in sub-linear time on codes that
// are not uniformly spread. Each code is cut into m disjoint substrings, one hash table
// per substring (CSR buckets by substring value, ids ascending inside a bucket). A query
// probes, for r = 0, 1, ..., every bucket within substring distance r, table by table.
// Pigeonhole: after table j at radius r, every code with distance <= m*r + j has been
// seen, so the search stops as soon as k candidates lie within that bound; the result
// is then identical to the exhaustive scan, ties by ascending index included.
//
// Never slower than the scan: each query gets a budget of work, a fraction of what the
// query costs in the blocked exhaustive scan (a cost model in mih.cpp). A query that would exceed
// it (dense buckets, clustered codes, far neighbours) stops probing; all such queries are then
// answered together by the blocked scan, so at worst the search costs the scan plus that
// fraction.
#include <cstdint>
#include <vector>

#include "retrieval/codes.h"
#include "retrieval/hamming_search.h"
#include "retrieval/index.h"

namespace he::retrieval {

// Default number of substrings: round(bits / log2(n)), at least ceil(bits / 64).
int mih_default_substrings(int bits, size_t n);

class MihIndex : public BinaryIndex {
 public:
  // Builds the m tables over `codes` (kept by value; cheap for a memory-mapped view).
  // m = 0 picks mih_default_substrings (again at each add). Throws if m is not in
  // [ceil(bits/64), bits] or n >= 2^32.
  explicit MihIndex(PackedCodes codes, int m = 0, SearchOptions opt = {});

  int substrings() const { return static_cast<int>(tables_.size()); }
  size_t size() const override { return codes_.size(); }
  std::string kind() const override { return "mih"; }
  std::string device() const override { return "cpu"; }
  // Appends and rebuilds the tables (linear time).
  void add(const PackedCodes& codes) override;
  // queries:(nq,bits) -> (nq,k), identical to hamming_knn. Parallel over queries.
  KnnResult search(const PackedCodes& queries, size_t k,
                   SearchStats* stats = nullptr) const override;
  // Identical to hamming_radius: probes substring radius floor(r / m) in every table.
  RangeResult range_search(const PackedCodes& queries, int r) const override;
  PackedCodes codes() const override { return codes_; }

  // The per-query budget as a fraction of the query's share of the exhaustive scan
  // (default 0.1). A large value keeps probing; 0 always scans. Results never change.
  void set_budget_fraction(double f) { budget_fraction_ = f; }

 private:
  struct Table {
    int first_bit = 0, len = 0;
    std::vector<uint64_t> mask;     // words_per_code words selecting this substring
    bool dense = false;             // dense: offsets indexed by value (2^len + 1)
    std::vector<uint64_t> keys;     // sparse: sorted distinct values
    std::vector<uint32_t> offsets;  // bucket b = ids[offsets[b], offsets[b+1])
    std::vector<uint32_t> ids;
    std::vector<uint64_t> codes;  // codes of ids[p] at [p * words, (p + 1) * words)
    // Entries of bucket `value`, [lo, hi) of ids / codes; false when the bucket is empty.
    bool bucket(uint64_t value, uint32_t& lo, uint32_t& hi) const;
  };
  struct Scratch;
  void rebuild();
  void build_table(Table& t) const;
  double query_budget_ns() const;
  // Returns false, having written nothing, when the budget ran out.
  bool knn_one(const uint64_t* q, size_t k, Scratch& s, int64_t* ids, int32_t* dist) const;
  bool range_one(const uint64_t* q, int r, Scratch& s) const;
  // Calls visit(table j, entry p) for every entry of every bucket of table j within
  // substring radius r of q; stops early (returns false) when s's budget runs out.
  template <class Visit>
  bool probe(const uint64_t* q, int j, int r, Scratch& s, Visit&& visit) const;
  // Whether code c was already reached from another table (at radius r in tables before j,
  // r - 1 after j): then table j is not its first sighting.
  bool seen_before(const uint64_t* q, const uint64_t* c, int j, int r) const;

  PackedCodes codes_;
  int requested_m_ = 0;
  SearchOptions opt_;
  double budget_fraction_ = 0.1;
  std::vector<Table> tables_;
};

}  // namespace he::retrieval
