#pragma once
// Exhaustive Hamming search over PackedCodes (the flat index): k-NN and radius search.
// Results are sorted by (distance, database index); see kernels/hamming.h.
#include <cstdint>
#include <vector>

#include "kernels/hamming.h"
#include "retrieval/codes.h"

namespace he::retrieval {

struct SearchOptions {
  int threads = 0;  // 0 = OpenMP default
  kernels::cpu::HammingIsa isa = kernels::cpu::HammingIsa::Auto;
};

// ids/dist: (nq, k) row-major.
struct KnnResult {
  size_t nq = 0, k = 0;
  std::vector<int64_t> ids;
  std::vector<int32_t> dist;
};

// Hits of query q: [lims[q], lims[q+1]) in ids/dist (FAISS RangeSearchResult layout).
struct RangeResult {
  std::vector<int64_t> lims;
  std::vector<int64_t> ids;
  std::vector<int32_t> dist;
};

// db:(n,bits), queries:(nq,bits) -> (nq,k). Throws if bit lengths differ or k not in [1,n].
KnnResult hamming_knn(const PackedCodes& db, const PackedCodes& queries, size_t k,
                      const SearchOptions& opt = {});
// All codes within distance r (inclusive) of each query.
RangeResult hamming_radius(const PackedCodes& db, const PackedCodes& queries, int r,
                           const SearchOptions& opt = {});
// Bare XOR + popcount over every pair, no selection; returns the sum of distances.
uint64_t hamming_distance_sum(const PackedCodes& db, const PackedCodes& queries,
                              const SearchOptions& opt = {});

// Plain reference: every distance, then a stable sort by distance. For tests only (O(n log n)).
KnnResult hamming_knn_naive(const PackedCodes& db, const PackedCodes& queries, size_t k);

kernels::cpu::HammingArgs hamming_args(const PackedCodes& db, const PackedCodes& queries,
                                       const SearchOptions& opt, const char* op);

}  // namespace he::retrieval
