#include "zoo/float_report.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "retrieval/float_eval.h"
#include "retrieval/npy.h"
#include "retrieval/whitening.h"
#include "zoo/encode.h"

namespace he::zoo {

namespace {

void write_features_npy(const std::string& path, const Tensor& f) {
  retrieval::write_npy(path, retrieval::npy_from({f.size(0), f.size(1)}, f.data<float>()));
}

}  // namespace

retrieval::EvalResult evaluate_float_and_write(const Tensor& db_descriptors,
                                               const Tensor& query_descriptors,
                                               const data::RetrievalSplit& split,
                                               const std::string& dir, const RunInfo& info,
                                               int64_t k, int threads) {
  Tensor db = db_descriptors.contiguous().to(DType::f32);
  Tensor q = query_descriptors.contiguous().to(DType::f32);
  const size_t n = static_cast<size_t>(db.size(0)), nq = static_cast<size_t>(q.size(0));
  const size_t dim = static_cast<size_t>(db.size(1));
  const retrieval::Labels db_labels = retrieval_labels(split.database),
                          q_labels = retrieval_labels(split.query);
  retrieval::EvalOptions eo;
  eo.k = static_cast<size_t>(k);
  eo.threads = threads;
  const retrieval::EvalResult r = retrieval::evaluate_float(db.data<float>(), n, q.data<float>(),
                                                            nq, dim, db_labels, q_labels, eo);
  // Whitening learned on the database descriptors (no labels), applied to both sides.
  const retrieval::PcaWhitening w = retrieval::fit_pca_whitening(db.data<float>(), n, dim);
  const std::vector<float> wdb = w.apply(db.data<float>(), n), wq = w.apply(q.data<float>(), nq);
  const retrieval::EvalResult rw =
      retrieval::evaluate_float(wdb.data(), n, wq.data(), nq, dim, db_labels, q_labels, eo);

  nlohmann::ordered_json j = nlohmann::ordered_json::parse(metrics_json(r, info));
  j.erase("bits");
  j.erase("p@r2");
  j["dim"] = dim;
  j["bytes_per_item"] = 4 * dim;  // f32 storage
  j["metric"] = "cosine";
  j["whitened"] = {{fmt::format("map@{}", rw.k), rw.map_k},
                   {"map@all", rw.map_all},
                   {fmt::format("p@{}", rw.k), rw.p_k}};
  write_text_atomic(dir + "/metrics.json", j.dump(2) + "\n");
  write_features_npy(dir + "/db_features.npy", db);
  write_features_npy(dir + "/query_features.npy", q);
  write_labels_npy(dir + "/db_labels.npy", split.database.labels);
  write_labels_npy(dir + "/query_labels.npy", split.query.labels);
  return r;
}

}  // namespace he::zoo
