#include "retrieval/metrics_topk.h"

#include <omp.h>

#include <cstdio>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace he::retrieval {

TopkEvalResult evaluate_topk(const int64_t* ids, size_t nq, size_t k, const Labels& db_labels,
                             const Labels& query_labels, int threads) {
  if (query_labels.size() != nq)
    throw std::invalid_argument("evaluate_topk: " + std::to_string(query_labels.size()) +
                                " query labels for " + std::to_string(nq) + " queries");
  if (db_labels.is_multi() != query_labels.is_multi())
    throw std::invalid_argument("evaluate_topk: database and query labels differ in kind");
  const size_t n = db_labels.size();
  for (size_t i = 0; i < nq * k; ++i)  // checked here: no exception may leave the parallel loop
    if (ids[i] >= static_cast<int64_t>(n))
      throw std::invalid_argument("evaluate_topk: id " + std::to_string(ids[i]) +
                                  " >= database size " + std::to_string(n));
  std::vector<double> ap(nq), p(nq), r(nq);
#pragma omp parallel for num_threads(threads > 0 ? threads : omp_get_max_threads()) \
    schedule(dynamic, 8)
  for (int64_t q = 0; q < static_cast<int64_t>(nq); ++q) {
    size_t total = 0, hits = 0;
    for (size_t j = 0; j < n; ++j) total += query_labels.relevant(q, db_labels, j);
    double sum = 0;
    for (size_t i = 0; i < k; ++i) {
      const int64_t id = ids[q * k + i];
      if (id >= 0 && query_labels.relevant(q, db_labels, id)) sum += double(++hits) / double(i + 1);
    }
    ap[q] = hits ? sum / hits : 0.0;
    p[q] = double(hits) / double(k);
    r[q] = total ? double(hits) / double(total) : 0.0;
  }
  auto mean = [&](const std::vector<double>& v) {
    return nq ? std::accumulate(v.begin(), v.end(), 0.0) / double(nq) : 0.0;
  };
  return {k, nq, n, mean(ap), mean(p), mean(r)};
}

std::string topk_eval_json(const TopkEvalResult& r) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "{\"map@k\": %.6f, \"p@k\": %.6f, \"r@k\": %.6f, \"k\": %zu, \"queries\": %zu, "
                "\"database\": %zu}",
                r.map_k, r.p_k, r.r_k, r.k, r.queries, r.database);
  return buf;
}

}  // namespace he::retrieval
