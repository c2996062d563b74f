#pragma once
// Metrics of protocol.md over a given top-k ranking (float or PQ search results), for the
// descriptors that have no Hamming radius: mAP@k, P@k and R@k exactly as evaluate_hamming
// defines them (retrieval/metrics.h); id -1 (an empty slot) is never relevant.
#include <cstddef>
#include <cstdint>
#include <string>

#include "retrieval/metrics.h"

namespace he::retrieval {

struct TopkEvalResult {
  size_t k = 0, queries = 0, database = 0;
  double map_k = 0, p_k = 0, r_k = 0;
};

// ids:(nq,k) database indices, best first; db_labels (n), query_labels (nq).
TopkEvalResult evaluate_topk(const int64_t* ids, size_t nq, size_t k, const Labels& db_labels,
                             const Labels& query_labels, int threads = 0);

// {"map@k":..., "p@k":..., "r@k":..., "k":..., "queries":..., "database":...}
std::string topk_eval_json(const TopkEvalResult& r);

}  // namespace he::retrieval
