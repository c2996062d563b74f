#pragma once
// IVF-PQ (Jegou, Douze & Schmid, TPAMI 2011, section IV): a coarse k-means quantiser of
// nlist centroids splits the database into inverted lists; each vector is stored as the
// 8-bit PQ code of its residual to its list's centroid. A query scans the nprobe lists whose
// centroids are nearest. Per list the ADC table is
//   ||q - c||^2 + sum_j ( ||r_j||^2 + 2 <c_j, r_j> ) - 2 <q_j, r_j>,
// whose middle term depends on the list only and is computed once per index, so a probe
// costs one (m, 256) addition instead of a new table. On CPUs with AVX-512 VBMI each probed
// list's table is quantised to u8 with its own scale and scanned by byte permutes; candidates
// from all lists are compared by their approximate float distances, and a shortlist is then
// ordered by the float tables (retrieval/pq_index.h).
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "retrieval/pq.h"
#include "retrieval/pq_index.h"

namespace he::retrieval {

class IvfPqIndex {
 public:
  IvfPqIndex() = default;
  // coarse:(nlist,d) centroids and a trained residual quantiser (nbits 8); no vectors.
  IvfPqIndex(std::vector<float> coarse, ProductQuantizer pq);
  // x:(n,d): k-means for the coarse centroids, then the PQ on the residuals.
  static IvfPqIndex train(const float* x, int64_t n, int64_t d, int64_t nlist, int64_t m,
                          uint64_t seed = 0);

  // x:(n,d) -> appended with ids size() .. size()+n-1.
  void add(const float* x, int64_t n);
  // The lists from a file: list_sizes:(nlist), ids:(n) and codes:(n,m) in list order.
  void set_lists(const std::vector<int64_t>& list_sizes, const std::vector<int64_t>& ids,
                 const std::vector<uint8_t>& codes);

  int64_t size() const { return n_; }
  int64_t dim() const { return pq_.d; }
  int64_t nlist() const { return static_cast<int64_t>(list_ids_.size()); }
  const std::vector<float>& coarse() const { return coarse_; }
  const ProductQuantizer& quantizer() const { return pq_; }
  const std::vector<int64_t>& list_ids(int64_t l) const { return list_ids_[l]; }
  const std::vector<uint8_t>& list_codes(int64_t l) const { return list_codes_[l]; }

  // q:(nq,d) -> ids, squared ADC distances (nq, k); opt.nprobe lists per query (clamped to
  // nlist). Fewer than k candidates in the probed lists leave id -1 and distance +inf.
  FloatKnnResult search(const float* q, int64_t nq, const PqSearchOptions& opt) const;

 private:
  void precompute_list_terms();
  // q:(nq,d) -> out_ids, out_scores:(nq, kk), slots left as they are when too few candidates;
  // qc:(nq, nlist) and qterm:(nq, m, 256) are scratch.
  void search_chunk(const float* q, int64_t nq, size_t nprobe, size_t kk,
                    const std::vector<float>& cnorm, const PqSearchOptions& opt, int T, float* qc,
                    float* qterm, int64_t* out_ids, float* out_scores) const;
  // One query's probed lists, nearest first, with base = ||q - c||^2.
  struct Probe {
    int64_t list;
    float base;
  };
  // qterm:(m, 256) of the query -> its best kk (distance, id), best first: on float tables, or
  // on u8 tables (kernels::cpu::pq8_u8_scan, a shortlist of `shortlist` >= kk by the
  // quantised distance, ordered by the float tables).
  std::vector<std::pair<float, int64_t>> scan_float(const std::vector<Probe>& probes,
                                                    const float* qterm, size_t kk,
                                                    kernels::cpu::PqIsa isa) const;
  std::vector<std::pair<float, int64_t>> scan_u8(const std::vector<Probe>& probes,
                                                 const float* qterm, size_t kk,
                                                 size_t shortlist) const;
  void pack_list(int64_t l);

  std::vector<float> coarse_;  // (nlist, d)
  ProductQuantizer pq_;
  std::vector<float> list_terms_;  // (nlist, m, 256): ||r_j||^2 + 2 <c_j, r_j>
  std::vector<std::vector<int64_t>> list_ids_;
  std::vector<std::vector<uint8_t>> list_codes_;   // (size, m) each
  std::vector<std::vector<uint8_t>> list_packed_;  // the same in the blocked scan layout
  int64_t n_ = 0;
};

}  // namespace he::retrieval
