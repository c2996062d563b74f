#pragma once
// Internals shared by the Hamming drivers (hamming.cpp) and the per-ISA scan loops.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace he::kernels::cpu::detail {

// Queries are scanned in groups of this many; a short group is padded with a copy of its
// last query whose threshold is -1 (never accepts).
inline constexpr int kGroup = 8;
// Candidate key: (distance << kIdBits) | index, so key order is (distance, index) order.
inline constexpr int kIdBits = 40;
inline constexpr uint64_t kIdMask = (uint64_t{1} << kIdBits) - 1;

// Candidates of one query, appended in ascending index order. k-NN mode keeps a histogram
// of the accepted distances and holds thr = (k-th smallest distance seen) - 1 at all times:
// a later code at the k-th distance has a larger index, so it can never enter the top k.
// Accepted entries that fall behind are dropped when the buffer reaches `cap`. In radius
// mode thr stays r and nothing is dropped.
struct QueryCandidates {
  std::vector<uint64_t> keys;
  int64_t thr = 0;
  size_t k = 0;  // 0 = radius mode
  size_t cap = 0;
  size_t le_thr = 0;           // accepted entries with distance <= thr
  std::vector<uint32_t> hist;  // accepted entries per distance (k-NN mode)

  void reset_knn(size_t k_, int bits);
  void reset_radius(int r);
  // Out of line on purpose: the scan loops are compiled for other targets, and inline
  // std::vector code instantiated there must not be merged into baseline code.
  void push(uint64_t id, uint32_t d);  // requires d <= thr
  void compact();                      // keep exactly the best min(k, seen) entries, in index order
};

// The per-group state a scan loop reads (thresholds) and feeds (hits).
struct GroupSink {
  QueryCandidates* q[kGroup] = {};
  int64_t thr[kGroup] = {};
  void refresh() {
    for (int g = 0; g < kGroup; ++g) thr[g] = q[g] ? q[g]->thr : -1;
  }
  void push(int g, uint64_t id, uint32_t d) {
    q[g]->push(id, d);
    thr[g] = q[g]->thr;
  }
};

// Stable counting sort of keys by distance (keys must be in index order within a
// distance); writes at most `limit` of them, sorted by (distance, index), into out.
size_t select_sorted(const std::vector<uint64_t>& keys, int bits, size_t limit,
                     std::vector<uint32_t>& hist, uint64_t* out);

// One ISA's loops. q8: kGroup queries x words (padded). Codes [lo, hi) of db.
struct IsaKernels {
  void (*scan)(const uint64_t* q8, const uint64_t* db, size_t lo, size_t hi, size_t words,
               GroupSink& sink);
  uint64_t (*sum)(const uint64_t* q8, const uint64_t* db, size_t lo, size_t hi, size_t words);
  void (*row)(const uint64_t* q, const uint64_t* db, size_t n, size_t words, uint16_t* out);
};

const IsaKernels& scalar_kernels();
const IsaKernels& popcnt_kernels();
const IsaKernels& avx2_kernels();
const IsaKernels& avx512_kernels();

}  // namespace he::kernels::cpu::detail
