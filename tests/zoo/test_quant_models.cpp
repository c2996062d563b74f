// Quantised models (dqn, dpq, pq, opq): the PQ index a model builds round-trips through its
// file, DQN's alternating codebook step, and a run whose metrics.json agrees with the index
// file and query descriptors written beside it.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "losses/quantization.h"
#include "losses/similarity.h"
#include "retrieval/npy.h"
#include "retrieval/pq_eval.h"
#include "retrieval/quant_index_file.h"
#include "zoo/encode.h"
#include "zoo/trainer.h"
#include "zoo_test_util.h"

namespace he::zoo {
namespace {

// The index of `model` over database descriptors db, saved and loaded again: same codebook,
// rotation and codes, and the same search results.
void expect_round_trip(const HashModel& model, const Tensor& db, const Tensor& q,
                       const std::string& what) {
  retrieval::PqIndex index = model.quantizer().value();
  index.add(db.data<float>(), db.size(0));
  const std::string path = test::temp_path("he_quant_model_" + what + ".heq");
  retrieval::save_quant_index(path, retrieval::contents_of(index));
  const retrieval::PqIndex back = retrieval::pq_index_from(retrieval::load_quant_index(path));
  std::filesystem::remove(path);
  EXPECT_EQ(back.quantizer().centroids, index.quantizer().centroids) << what;
  EXPECT_EQ(back.rotation(), index.rotation()) << what;
  EXPECT_EQ(back.codes(), index.codes()) << what;
  retrieval::PqSearchOptions so;
  so.k = 5;
  const retrieval::FloatKnnResult a = index.search(q.data<float>(), q.size(0), so),
                                  b = back.search(q.data<float>(), q.size(0), so);
  EXPECT_EQ(a.ids, b.ids) << what;
  EXPECT_EQ(a.scores, b.scores) << what;
}

TEST(QuantModels, PqAndOpqIndexesRoundTripThroughTheirFile) {
  Generator g(3);
  Tensor images = Tensor::randn({400, 1, 8, 8}, g);  // 64-dim "pixels"
  for (const std::string name : {"pq", "opq"})
    for (int nbits : {4, 8}) {
      ModelConfig c;
      c.image_size = 8, c.pq_m = 8, c.pq_nbits = nbits;
      auto m = make_model(name, c);
      ASSERT_FALSE(m->trains_by_gradient());
      m->fit(images);
      const retrieval::PqIndex idx = m->quantizer().value();
      EXPECT_EQ(idx.quantizer().m, 8);
      EXPECT_EQ(idx.quantizer().nbits, nbits);
      EXPECT_EQ(idx.rotation().empty(), name == "pq");
      NoGradGuard ng;
      Tensor x = m->encode(images).contiguous();
      expect_round_trip(*m, x, x.narrow(0, 0, 7).contiguous(), name + std::to_string(nbits));
    }
  ModelConfig bad;
  bad.image_size = 8, bad.pq_m = 5;  // 64 dims do not split in 5
  EXPECT_THROW(make_model("pq", bad), std::invalid_argument);
}

TEST(QuantModels, DpqDatabaseCodesAreTheHardAssignments) {
  if (!test::have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const data::ImageSet& train = test::first_train_images(64);
  TrainBatch b = test::batch_of(train, 0, 64);
  ModelConfig c;
  c.bits = 16, c.pq_m = 4, c.pq_nbits = 4;
  auto m = make_model("dpq", c);
  m->eval();
  NoGradGuard ng;
  Tensor x = m->encode_database(b.images).contiguous();
  Tensor codebook;
  for (auto& [name, t] : m->named_parameters())
    if (name == "codebook") codebook = t;
  ASSERT_TRUE(codebook.defined());
  const losses::SoftHardPq q = losses::soft_hard_pq(x, codebook);
  retrieval::PqIndex index = m->quantizer().value();
  index.add(x.data<float>(), x.size(0));
  std::vector<int64_t> hard = q.codes.to_vector<int64_t>();
  std::vector<int64_t> pq(index.codes().begin(), index.codes().end());
  EXPECT_EQ(pq, hard);
  expect_round_trip(*m, x, m->encode(b.images).contiguous(), "dpq");
}

TEST(QuantModels, DqnFitsItsCodebookAtTheEndOfEachEpoch) {
  if (!test::have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const data::ImageSet& train = test::first_train_images(512);
  ModelConfig c;
  c.bits = 16, c.pq_m = 4, c.pq_nbits = 4, c.train_size = 512;
  auto m = make_model("dqn", c);
  EXPECT_THROW(m->quantizer(), std::runtime_error);  // no codebook before the first epoch
  m->train();
  for (int64_t at = 0; at < 512; at += 128) {  // stores every image's output in the bank
    TrainBatch b = test::batch_of(train, at, 128);
    EXPECT_TRUE(std::isfinite(m->loss(b, 0).item<double>()));
  }
  m->end_epoch(0);
  const retrieval::PqIndex idx = m->quantizer().value();
  EXPECT_EQ(idx.quantizer().m, 4);
  TrainBatch b = test::batch_of(train, 384, 128);
  // The same batch and network: the loss now adds the quantisation term (> 0) to the cosine
  // fit (dissimilar target 0, as the model).
  Tensor cos_only = losses::dqn_cosine(m->encode(b.images), losses::similarity(b.labels), 0.0);
  EXPECT_GT(m->loss(b, 0).item<double>(), cos_only.item<double>());
  NoGradGuard ng;
  m->eval();
  Tensor x = encode_set(*m, train, 1000, true).contiguous();
  expect_round_trip(*m, x, x.narrow(0, 0, 9).contiguous(), "dqn");
}

TEST(QuantModels, RunMetricsMatchTheIndexFileBesideThem) {
  if (!test::have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  TrainOptions o;
  o.model = "pq", o.pq_m = 8, o.pq_nbits = 4;  // closed form: the run takes seconds
  o.quick = true, o.quiet = true;
  o.out = test::temp_path("he_quant_run_test");
  std::filesystem::remove_all(o.out);
  RunSummary s = train(o);
  ASSERT_TRUE(s.finished);
  nlohmann::json m = nlohmann::json::parse(std::ifstream(o.out + "/metrics.json"));
  const retrieval::PqIndex index =
      retrieval::pq_index_from(retrieval::load_quant_index(o.out + "/db_index.heq"));
  ASSERT_EQ(index.size(), 6000);
  retrieval::NpyArray q = retrieval::read_npy(o.out + "/query_features.npy");
  ASSERT_EQ(q.shape, (std::vector<int64_t>{1000, 784}));
  auto labels = [&](const std::string& f) {
    return retrieval::Labels::single(
        retrieval::npy_to_i64(retrieval::read_npy(o.out + "/" + f), f));
  };
  const retrieval::EvalResult r =
      retrieval::evaluate_pq(index, reinterpret_cast<const float*>(q.bytes.data()), 1000,
                             labels("db_labels.npy"), labels("query_labels.npy"));
  EXPECT_DOUBLE_EQ(m["map@1000"].get<double>(), r.map_k);
  EXPECT_DOUBLE_EQ(m["map@all"].get<double>(), r.map_all);
  EXPECT_EQ(m["bytes_per_item"].get<int>(), 4);
  EXPECT_EQ(m["m"].get<int>(), 8);
  EXPECT_EQ(m["nbits"].get<int>(), 4);
  EXPECT_EQ(m["metric"].get<std::string>(), "pq-adc");
  EXPECT_FALSE(m.contains("p@r2"));
  EXPECT_GT(r.map_k, 0.4);  // far above chance (0.1)
  std::filesystem::remove_all(o.out);
}

}  // namespace
}  // namespace he::zoo
