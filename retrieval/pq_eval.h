#pragma once
// Retrieval metrics (protocol.md) of a PQ / OPQ index: every query ranks the whole database by
// ascending asymmetric distance (the query's float vector against each item's reconstruction,
// through the index's lookup tables: the distances PqIndex::search returns), ties by ascending
// database index. mAP@k, mAP@all, P@k and R@k as evaluate_float; no Hamming radius.
#include <cstddef>

#include "retrieval/metrics.h"
#include "retrieval/pq_index.h"

namespace he::retrieval {

// index: trained, with the database added (its ids are the label rows); queries:(nq, d) f32.
EvalResult evaluate_pq(const PqIndex& index, const float* queries, size_t nq,
                       const Labels& db_labels, const Labels& query_labels,
                       const EvalOptions& opt = {});

// Bytes one database item's code takes: ceil(m * nbits / 8).
size_t pq_code_bytes(const ProductQuantizer& pq);

}  // namespace he::retrieval
