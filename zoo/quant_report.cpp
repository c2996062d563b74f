#include "zoo/quant_report.h"

#include <nlohmann/json.hpp>

#include "retrieval/npy.h"
#include "retrieval/pq_eval.h"
#include "retrieval/quant_index_file.h"
#include "zoo/encode.h"

namespace he::zoo {

retrieval::EvalResult evaluate_quantised_and_write(HashModel& model, const Tensor& db_descriptors,
                                                   const Tensor& query_descriptors,
                                                   const data::RetrievalSplit& split,
                                                   const std::string& dir, const RunInfo& info,
                                                   int64_t k, int threads) {
  retrieval::PqIndex index = model.quantizer().value();
  const Tensor db = db_descriptors.contiguous().to(DType::f32);
  const Tensor q = query_descriptors.contiguous().to(DType::f32);
  index.add(db.data<float>(), db.size(0));
  retrieval::EvalOptions eo;
  eo.k = static_cast<size_t>(k);
  eo.threads = threads;
  const retrieval::EvalResult r =
      retrieval::evaluate_pq(index, q.data<float>(), static_cast<size_t>(q.size(0)),
                             retrieval_labels(split.database), retrieval_labels(split.query), eo);
  const retrieval::ProductQuantizer& pq = index.quantizer();
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(metrics_json(r, info));
  j.erase("bits");
  j.erase("p@r2");
  j["metric"] = "pq-adc";
  j["index"] = index.rotation().empty() ? "pq" : "opq";
  j["dim"] = pq.d;
  j["m"] = pq.m;
  j["nbits"] = pq.nbits;
  j["bytes_per_item"] = retrieval::pq_code_bytes(pq);
  write_text_atomic(dir + "/metrics.json", j.dump(2) + "\n");
  retrieval::save_quant_index(dir + "/db_index.heq", retrieval::contents_of(index));
  retrieval::write_npy(dir + "/query_features.npy",
                       retrieval::npy_from({q.size(0), q.size(1)}, q.data<float>()));
  for (const auto& [name, set] : {std::pair{"db", &split.database}, {"query", &split.query}}) {
    const std::string path = dir + "/" + name + "_labels.npy";
    if (set->multi_label())
      write_multi_hot_npy(path, set->multi_hot, set->num_classes);
    else
      write_labels_npy(path, set->labels);
  }
  return r;
}

}  // namespace he::zoo
