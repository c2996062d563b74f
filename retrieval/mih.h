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
// Never slower than the scan, by a cost model (mih.cpp) in nanoseconds of one thread: the
// blocked scan costs each query a share of n codes; a level of probing (all buckets at one
// substring radius) costs its bucket lookups plus its bucket entries; the lookups are paid
// for before the level starts, each table's entries (their count read first) before they
// are read. A query that cannot afford its next step, or whose k-th distance found so far
// implies levels it cannot afford, stops; such queries are answered together by the
// query-blocked scan. Work abandoned that way is held within a fraction f (default 0.1) of
// the whole scan, and no query spends more than 3/4 of its scan share on the tables, so a
// search costs at most (1 + f) x the scan (up to the model's accuracy, with a 4/3 margin
// for the settled queries), and far less when neighbours are near.
#include <atomic>
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

  // f above: the work that may be abandoned, as a fraction of the whole scan (default 0.1).
  // A large value keeps probing every query to the end; 0 always scans. Results never change.
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
  struct Bucket {
    uint32_t lo, hi;  // entries [lo, hi) of table `table`
    int table;
  };
  struct Scratch;
  // Per-search budget shared by the threads: a cap per query and an allowance for the work
  // of abandoned queries.
  struct Budget {
    Budget(double scan_share, double fraction, size_t nq);
    double cap() const;  // what the next query may spend (<= 0: scan it)
    double per_query, allowance;
    std::atomic<double> wasted{0};
  };
  void rebuild();
  void build_table(Table& t) const;
  double scan_share_ns() const;        // one query's cost in the blocked scan
  double level_probe_ns(int r) const;  // the lookups of all buckets at substring radius r
  // The lookups of levels r .. the last one a search with k-th distance d can need.
  double lookups_up_to(int r, int d) const;
  // Looks up table j's buckets at substring distance exactly r from q; appends the
  // non-empty ones to the scratch level list and returns their entry count.
  size_t collect(const uint64_t* q, int j, int r, Scratch& s) const;
  // Calls visit(entry p, distance d) for each entry of b within `limit` (read live: the
  // caller may lower it).
  template <class Visit>
  void scan_bucket(const uint64_t* q, const Bucket& b, const uint32_t& limit, Scratch& s,
                   Visit&& visit) const;
  // Return false, having written nothing, when the query cannot afford its search in `cap`.
  bool knn_one(const uint64_t* q, size_t k, double cap, Scratch& s, int64_t* ids,
               int32_t* dist) const;
  bool range_one(const uint64_t* q, int r, double cap, Scratch& s) const;
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
