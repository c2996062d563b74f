#pragma once
// Evaluation and run files of the quantised models (HashModel::quantizer): the database coded
// as PQ codes, queries ranked by asymmetric distance per protocol.md.
#include <string>

#include "engine/data/datasets.h"
#include "retrieval/metrics.h"
#include "zoo/model.h"
#include "zoo/report.h"

namespace he::zoo {

// Codes the database's descriptors (encode_database) into the model's PQ index, ranks the
// queries' (encode) by asymmetric distance, evaluates, and writes metrics.json (the hashing models'
// keys without bits and p@r2, plus "metric": "pq-adc", dim, m, nbits, bytes_per_item = the code's
// bytes), db_index.heq (the index: codebook, rotation, codes; hashsearch knn --index reads it),
// query_features.npy (f32) and the label files.
retrieval::EvalResult evaluate_quantised_and_write(HashModel& model, const Tensor& db_descriptors,
                                                   const Tensor& query_descriptors,
                                                   const data::RetrievalSplit& split,
                                                   const std::string& dir, const RunInfo& info,
                                                   int64_t k, int threads);

}  // namespace he::zoo
