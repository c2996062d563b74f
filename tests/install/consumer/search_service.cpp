// A minimal search service on the installed library: load a zoo checkpoint, encode the
// database images, build a multi-index-hashing index, answer queries, check against the
// exhaustive scan. Usage: search_service CHECKPOINT [queries]
#include <fmt/format.h>

#include <hashengine/engine/data/datasets.h>
#include <hashengine/engine/io/safetensors.h>
#include <hashengine/retrieval/index.h>
#include <hashengine/zoo/checkpoint.h>
#include <hashengine/zoo/encode.h>

int main(int argc, char** argv) {
  using namespace he;
  if (argc < 2) {
    fmt::print(stderr, "usage: search_service CHECKPOINT [queries]\n");
    return 2;
  }
  try {
    const int64_t nq = argc > 2 ? std::stoll(argv[2]) : 100;
    SafetensorsFile file = load_safetensors(argv[1]);
    zoo::TrainOptions o = zoo::options_from_json(file.metadata.at("options"));
    data::RetrievalSplit split = data::fm_protocol(true);
    zoo::ModelConfig cfg;
    cfg.bits = o.bits, cfg.train_size = split.train.n, cfg.seed = o.seed;
    auto model = zoo::make_model(o.model, cfg);
    zoo::load_checkpoint(file, *model, nullptr);
    retrieval::PackedCodes db = zoo::pack(zoo::encode_set(*model, split.database));
    data::ImageSet queries = data::take_first(split.query, nq);
    retrieval::PackedCodes q = zoo::pack(zoo::encode_set(*model, queries));
    retrieval::KnnResult fast = retrieval::make_binary_index("mih", db)->search(q, 10);
    retrieval::KnnResult exact = retrieval::make_binary_index("flat", db)->search(q, 10);
    int64_t relevant = 0;
    for (size_t i = 0; i < fast.ids.size(); ++i)
      relevant += split.database.labels[fast.ids[i]] == queries.labels[i / 10];
    bool same = fast.ids == exact.ids && fast.dist == exact.dist;
    fmt::print(
        "{} {} bits: {} database codes, {} queries, precision@10 {:.3f}, MIH == exhaustive: {}\n",
        o.model, o.bits, db.size(), q.size(), static_cast<double>(relevant) / fast.ids.size(),
        same ? "yes" : "NO");
    return same ? 0 : 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "search_service: {}\n", e.what());
    return 1;
  }
}
