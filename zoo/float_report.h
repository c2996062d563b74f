#pragma once
// Evaluation and run files of the float-descriptor models (HashModel::float_descriptors):
// cosine ranking per protocol.md, raw and after PCA-whitening fitted on the database.
#include <string>

#include "engine/data/datasets.h"
#include "retrieval/metrics.h"
#include "zoo/model.h"
#include "zoo/report.h"

namespace he::zoo {

// Evaluates the database and query descriptors (N,dim) of `split` by cosine similarity, and
// writes metrics.json (the hashing models' keys without p@r2, plus dim, bytes_per_item = 4 dim
// and "whitened": the same figures after PCA-whitening fitted on the database
// descriptors), db_features.npy / query_features.npy (f32) and the label files.
retrieval::EvalResult evaluate_float_and_write(const Tensor& db_descriptors,
                                               const Tensor& query_descriptors,
                                               const data::RetrievalSplit& split,
                                               const std::string& dir, const RunInfo& info,
                                               int64_t k, int threads);

}  // namespace he::zoo
