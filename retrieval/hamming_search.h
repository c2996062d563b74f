#pragma once
// The CPU backend of the flat index: exhaustive Hamming k-NN and radius search over
// PackedCodes, as functions and as a BinaryIndex (retrieval/index.h). Results are sorted by
// (distance, database index); see kernels/hamming.h.
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/hamming.h"
#include "retrieval/codes.h"
#include "retrieval/index.h"

namespace he::retrieval {

struct SearchOptions {
  int threads = 0;  // 0 = OpenMP default
  kernels::cpu::HammingIsa isa = kernels::cpu::HammingIsa::Auto;
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

// The exhaustive scan behind the index interface. The first add() to an empty index keeps
// the codes as given (a memory-mapped view stays a view); later adds copy.
class FlatIndex : public BinaryIndex {
 public:
  explicit FlatIndex(int bits, SearchOptions opt = {});
  FlatIndex(PackedCodes codes, SearchOptions opt = {});

  size_t size() const override { return codes_.size(); }
  std::string kind() const override { return "flat"; }
  std::string device() const override { return "cpu"; }
  void add(const PackedCodes& codes) override;
  KnnResult search(const PackedCodes& queries, size_t k,
                   SearchStats* stats = nullptr) const override;
  RangeResult range_search(const PackedCodes& queries, int r) const override;
  PackedCodes codes() const override { return codes_; }

 private:
  PackedCodes codes_;
  SearchOptions opt_;
};

}  // namespace he::retrieval
