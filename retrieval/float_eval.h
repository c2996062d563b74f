#pragma once
// Retrieval metrics of protocol.md for real-valued descriptors: the database ranked by
// descending cosine similarity (or inner product, or ascending L2 distance) to each query,
// ties by ascending database index. mAP@k,
// mAP@all, P@k and R@k as in metrics.h; the set-based Hamming figures (P@r2, PR curve by
// radius) do not apply and stay empty / zero.
#include <cstddef>
#include <functional>
#include <string>

#include "retrieval/float_search.h"  // FloatMetric
#include "retrieval/metrics.h"

namespace he::retrieval {

// db:(n,d) f32, queries:(nq,d) f32, row-major; labels as for evaluate_hamming. A zero
// vector has similarity 0 with everything (cosine). Per-query figures are summed in query
// order, so results do not depend on the thread count.
EvalResult evaluate_float(const float* db, size_t n, const float* queries, size_t nq, size_t d,
                          const Labels& db_labels, const Labels& query_labels,
                          const EvalOptions& opt = {}, FloatMetric metric = FloatMetric::Cosine);

// The same figures for any similarity: score(q0, qb, out) writes the similarities (higher is
// better) of queries [q0, q0 + qb) to every database item into out:(qb, n), qb <= 128; the
// ranking is by descending similarity, ties by ascending database index. evaluate_float is
// this with the metric's similarity; PQ models rank by minus the asymmetric distance.
using ScoreBlock = std::function<void(size_t q0, size_t qb, float* out)>;
EvalResult evaluate_scores(size_t n, size_t nq, const ScoreBlock& score, const Labels& db_labels,
                           const Labels& query_labels, const EvalOptions& opt = {});

// "cosine", "ip" or "l2", as hashsearch's --metric spells them.
const char* float_metric_name(FloatMetric m);
// The metric of a --metric value; throws std::invalid_argument naming the choices.
FloatMetric parse_float_metric(const std::string& name);

// eval_json's keys (map@k, map@all, p@k, r@k, k, queries, database) plus "metric" (cosine by
// default), "dim" and "bytes_per_item" (4 d for f32 storage); "p@r2" and "bits" are left out.
std::string float_eval_json(const EvalResult& r, size_t dim, size_t bytes_per_item,
                            FloatMetric metric = FloatMetric::Cosine);

}  // namespace he::retrieval
