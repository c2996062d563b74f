#include "retrieval/hamming_search.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>

namespace he::retrieval {

kernels::cpu::HammingArgs hamming_args(const PackedCodes& db, const PackedCodes& queries,
                                       const SearchOptions& opt, const char* op) {
  if (db.bits() != queries.bits())
    throw std::invalid_argument(std::string(op) + ": database codes have " +
                                std::to_string(db.bits()) + " bits but queries have " +
                                std::to_string(queries.bits()));
  kernels::cpu::HammingArgs a;
  a.queries = queries.data();
  a.nq = queries.size();
  a.db = db.data();
  a.n = db.size();
  a.words = db.words_per_code();
  a.bits = db.bits();
  a.threads = opt.threads;
  a.isa = opt.isa;
  return a;
}

KnnResult hamming_knn(const PackedCodes& db, const PackedCodes& queries, size_t k,
                      const SearchOptions& opt) {
  auto a = hamming_args(db, queries, opt, "hamming_knn");
  KnnResult r{queries.size(), k, std::vector<int64_t>(queries.size() * k),
              std::vector<int32_t>(queries.size() * k)};
  kernels::cpu::hamming_knn(a, k, r.ids.data(), r.dist.data());
  return r;
}

RangeResult hamming_radius(const PackedCodes& db, const PackedCodes& queries, int r,
                           const SearchOptions& opt) {
  auto a = hamming_args(db, queries, opt, "hamming_radius");
  RangeResult res;
  kernels::cpu::hamming_radius(a, r, res.lims, res.ids, res.dist);
  return res;
}

uint64_t hamming_distance_sum(const PackedCodes& db, const PackedCodes& queries,
                              const SearchOptions& opt) {
  return kernels::cpu::hamming_distance_sum(hamming_args(db, queries, opt, "hamming_distance_sum"));
}

FlatIndex::FlatIndex(int bits, SearchOptions opt) : BinaryIndex(bits), codes_(0, bits), opt_(opt) {}

FlatIndex::FlatIndex(PackedCodes codes, SearchOptions opt)
    : BinaryIndex(codes.bits()), codes_(std::move(codes)), opt_(opt) {}

void FlatIndex::add(const PackedCodes& codes) {
  check_queries(codes, "FlatIndex::add");
  codes_ = codes_.size() == 0 ? codes : concat_codes(codes_, codes);
}

KnnResult FlatIndex::search(const PackedCodes& queries, size_t k, SearchStats* stats) const {
  check_queries(queries, "FlatIndex::search");
  check_k(k, "FlatIndex::search");
  if (stats) *stats = {0, queries.size(), queries.size() * codes_.size()};
  return hamming_knn(codes_, queries, k, opt_);
}

RangeResult FlatIndex::range_search(const PackedCodes& queries, int r) const {
  check_queries(queries, "FlatIndex::range_search");
  return hamming_radius(codes_, queries, r, opt_);
}

KnnResult hamming_knn_naive(const PackedCodes& db, const PackedCodes& queries, size_t k) {
  if (db.bits() != queries.bits() || k < 1 || k > db.size())
    throw std::invalid_argument("hamming_knn_naive: bad arguments");
  KnnResult r{queries.size(), k, {}, {}};
  const size_t W = db.words_per_code();
  std::vector<int32_t> d(db.size());
  std::vector<int64_t> order(db.size());
  for (size_t q = 0; q < queries.size(); ++q) {
    for (size_t i = 0; i < db.size(); ++i) {
      int s = 0;
      for (size_t w = 0; w < W; ++w) s += __builtin_popcountll(queries.row(q)[w] ^ db.row(i)[w]);
      d[i] = s;
    }
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int64_t x, int64_t y) { return d[x] < d[y]; });
    for (size_t j = 0; j < k; ++j) {
      r.ids.push_back(order[j]);
      r.dist.push_back(d[order[j]]);
    }
  }
  return r;
}

}  // namespace he::retrieval
