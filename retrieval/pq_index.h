#pragma once
// Exhaustive PQ / OPQ index (retrieval/pq.h, retrieval/opq.h) with asymmetric-distance k-NN:
//   nbits 8: on CPUs with AVX-512 VBMI, u8 tables looked up by byte permutes, 64 codes at a
//            time (kernels::cpu::pq8_u8_scan), the database streamed once per task of queries;
//            elsewhere (or with isa Scalar / Avx2) float tables, each cache-sized block of
//            codes looked up for a group of queries by SIMD gathers (pq8_adc_scan);
//   nbits 4: fast scan (kernels::cpu::pq4_scan) on u8 tables held in SIMD registers.
// The u8-table scans keep a shortlist of candidates by the quantised distance, which the float
// tables then order, so the returned distances are exact ADC values.
// Optional exact re-ranking: a shortlist by ADC re-ordered by the true squared L2 distance to
// the original vectors. Results: best first by (distance, id), squared L2 distances.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernels/pq.h"
#include "retrieval/float_search.h"
#include "retrieval/pq.h"

namespace he::retrieval {

struct PqSearchOptions {
  size_t k = 10;
  size_t nprobe = 1;  // IVF indexes: inverted lists scanned per query
  // Scans on u8 tables: candidates kept by the quantised distance for the float tables (0 = k).
  size_t shortlist = 0;
  // Exact re-ranking: with `originals` (n,d) f32 in id order, the best `rerank` (>= k) by ADC
  // are re-ordered by their true distance. 0 = no re-ranking.
  const float* originals = nullptr;
  size_t rerank = 0;
  int threads = 0;  // 0 = OpenMP default
  kernels::cpu::PqIsa isa = kernels::cpu::PqIsa::Auto;
};

class PqIndex {
 public:
  PqIndex() = default;
  // A trained quantiser (and a (d,d) rotation applied before it, or none) with no codes.
  PqIndex(ProductQuantizer pq, std::vector<float> rotation);
  // x:(n,d): trains the PQ (after an OPQ rotation when `opq`) on x; adds nothing.
  static PqIndex train(const float* x, int64_t n, int64_t d, int64_t m, int nbits, bool opq,
                       uint64_t seed = 0);

  // x:(n,d) -> appended with ids size() .. size()+n-1.
  void add(const float* x, int64_t n);
  // codes:(n,m) u8 (values < 2^nbits, else std::invalid_argument): replaces the database.
  void set_codes(std::vector<uint8_t> codes);

  int64_t size() const { return n_; }
  int64_t dim() const { return pq_.d; }
  const ProductQuantizer& quantizer() const { return pq_; }
  const std::vector<float>& rotation() const { return rotation_; }
  const std::vector<uint8_t>& codes() const { return codes_; }  // (n,m)

  // q:(nq,d) -> ids, squared distances (nq, k). Requires 1 <= k <= size().
  FloatKnnResult search(const float* q, int64_t nq, const PqSearchOptions& opt) const;

 private:
  // luts:(nq, m, 2^nbits) -> ids, scores:(nq, k).
  void search8(const float* luts, int64_t nq, size_t k, int T, kernels::cpu::PqIsa isa,
               int64_t* ids, float* scores) const;
  size_t shortlist_size(size_t k, const PqSearchOptions& opt) const;
  void search8_u8(const float* luts, int64_t nq, size_t k, const PqSearchOptions& opt, int T,
                  int64_t* ids, float* scores) const;
  void search4(const float* luts, int64_t nq, size_t k, const PqSearchOptions& opt, int T,
               int64_t* ids, float* scores) const;

  ProductQuantizer pq_;
  std::vector<float> rotation_;
  std::vector<uint8_t> codes_;   // (n,m)
  std::vector<uint8_t> packed_;  // codes_ in the scan layout of nbits (kernels/pq.h)
  int64_t n_ = 0;
};

// Whether the 8-bit scans of m subquantisers run on u8 tables for `isa` (Auto or Avx512 on a
// CPU with AVX-512 VBMI), else on float tables.
bool pq8_uses_u8_tables(int64_t m, kernels::cpu::PqIsa isa);

// Queries rotated when a rotation is given (else a copy): q:(nq,d) -> (nq,d).
std::vector<float> rotate_queries(const float* q, int64_t nq, int64_t d,
                                  const std::vector<float>& rotation);

// Per query q, the shortlist r.ids[q][0..k) re-ordered by exact squared L2 to originals:(n,d)
// and cut to `keep` columns (ties by id). queries:(nq,d) in the original space.
FloatKnnResult rerank_exact(const FloatKnnResult& r, const float* queries, const float* originals,
                            int64_t d, size_t keep, int threads);

}  // namespace he::retrieval
