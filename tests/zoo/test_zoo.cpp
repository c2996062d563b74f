// Zoo: every model trains (finite, falling loss) on FM-quick batches; a run's metrics.json
// agrees with the codes and labels written beside it; the search grid is a valid PNG.
#include <gtest/gtest.h>
#include <stb/stb_image.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/data/datasets.h"
#include "retrieval/metrics.h"
#include "retrieval/npy.h"
#include "zoo/cnn_model.h"
#include "zoo/encode.h"
#include "zoo/models/models.h"
#include "zoo/search_grid.h"
#include "zoo/trainer.h"
#include "zoo_test_util.h"

namespace he::zoo {
namespace {

using test::have_fashion_mnist;

class ZooModel : public ::testing::TestWithParam<std::string> {};

TEST_P(ZooModel, TrainsWithFiniteFallingLoss) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  set_num_threads(2);
  static const data::ImageSet train =
      data::take_first(data::load_split("fashion-mnist", data::Split::kTrain), 2000);
  ModelConfig cfg;
  cfg.bits = 32;
  cfg.train_size = train.n;
  auto model = make_model(GetParam(), cfg);
  model->begin_training(labels_tensor(train));
  model->fit_targets(images_tensor(train, 0, train.n));  // pseudo-labels, priors
  auto opt = model->make_optimizer(cfg);
  std::vector<ExtraPart> extra = model->make_extra_parts(cfg);  // critics of adversarial models
  // Two fixed batches of 64, alternated: the (main part's) loss on them must fall.
  std::vector<TrainBatch> batches;
  for (int i = 0; i < 2; ++i) batches.push_back(test::batch_of(train, i * 64, 64));
  model->train();
  double first = 0, last = 0;
  for (int it = 0; it < 20; ++it) {
    StepResult step = train_step(*model, *opt, extra, batches[it % 2], it);
    ASSERT_TRUE(step.problem.empty()) << GetParam() << " iteration " << it << ": " << step.problem;
    ASSERT_EQ(step.losses.size(), 1 + extra.size());
    const double v = step.losses[0];
    if (it < 2) first += v;
    if (it >= 18) last += v;
  }
  EXPECT_LT(last, first) << GetParam() << ": loss " << first / 2 << " -> " << last / 2;
}

std::vector<std::string> gradient_models() {
  std::vector<std::string> out;
  for (const std::string& n : model_names())
    if (n != "lsh" && n != "itq" && n != "pq" && n != "opq") out.push_back(n);  // closed form
  return out;
}
// Test names allow only letters, digits and '_' ("greedyhash-u" -> "greedyhash_u").
INSTANTIATE_TEST_SUITE_P(All, ZooModel, ::testing::ValuesIn(gradient_models()),
                         [](const auto& info) {
                           std::string n = info.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

// The registry reads each model's entry from its file (zoo/model.h ModelEntry): names,
// options and default networks arrive as the files define them, in the registry's order.
TEST(ZooRegistry, EntriesComeFromTheModelFiles) {
  const std::vector<std::string> names = model_names();
  ASSERT_EQ(names.size(), 33u);
  EXPECT_EQ(names.front(), "hashnet");
  EXPECT_EQ(names.back(), "opq");
  std::vector<std::string> semi, clusters, mlp, real_valued, quantised;
  for (const std::string& n : names) {
    EXPECT_EQ(std::count(names.begin(), names.end(), n), 1) << n;
    EXPECT_FALSE(model_summary(n).empty()) << n;
    if (model_is_semi_supervised(n)) semi.push_back(n);
    if (model_fits_clusters(n)) clusters.push_back(n);
    if (model_default_backbone(n) == "mlp") mlp.push_back(n);
    if (model_has_float_descriptors(n)) real_valued.push_back(n);
    if (model_is_quantised(n)) quantised.push_back(n);
  }
  EXPECT_EQ(quantised, (std::vector<std::string>{"dqn", "dpq", "pq", "opq"}));
  EXPECT_EQ(real_valued, (std::vector<std::string>{"siamese", "triplet", "msloss"}));
  EXPECT_EQ(semi, (std::vector<std::string>{"ssdh"}));
  EXPECT_EQ(clusters, (std::vector<std::string>{"pseudo", "dvb"}));
  EXPECT_EQ(mlp, (std::vector<std::string>{"deepbit", "uth", "greedyhash-u", "pseudo", "dvb"}));
  EXPECT_EQ(model_default_backbone("hashnet"), "small");
  EXPECT_EQ(model_summary("nonesuch"), "");
  try {
    make_model("nonesuch", ModelConfig{});
    ADD_FAILURE() << "an unknown model was made";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("unknown model 'nonesuch'; known: hashnet, dpsh"),
              std::string::npos)
        << e.what();
  }
}

// DPSH and DSDH normalise the hash layer (pairwise.cpp says why): the codes come from u
// through that batch norm's running statistics, which the state_dict carries.
TEST(ZooHashBatchNorm, CodesGoThroughTheNormsRunningStatistics) {
  for (const char* name : {"dpsh", "pseudo", "dsdh"}) {
    ModelConfig cfg;
    cfg.bits = 8, cfg.train_size = 16;
    auto model = make_model(name, cfg);
    auto* cnn = dynamic_cast<CnnHashModel*>(model.get());
    ASSERT_TRUE(cnn && cnn->hash_bn) << name;
    bool saved = false;
    for (const auto& [key, value] : model->state_dict()) saved |= key == "hash_bn.running_var";
    EXPECT_TRUE(saved) << name;
    const double gamma = std::string(name) == "dsdh" ? 1.0 : DpshSettings::hash_bn_gamma(8);
    EXPECT_NEAR(cnn->hash_bn->weight.to_vector<float>()[0], gamma, 1e-7) << name;
    Generator g(5);
    cnn->hash_bn->running_mean.copy_(Tensor::randn({8}, g));
    cnn->hash_bn->running_var.copy_(add(Tensor::rand({8}, g), Tensor::scalar(0.5)));
    cnn->hash_bn->weight.detach().copy_(Tensor::randn({8}, g));
    model->eval();
    NoGradGuard guard;
    Tensor x = Tensor::randn({3, 1, 28, 28}, g);
    Tensor u = cnn->net->forward(x);
    Tensor want = add(mul(div(sub(u, cnn->hash_bn->running_mean),
                              sqrt(add(cnn->hash_bn->running_var, Tensor::scalar(1e-5)))),
                          cnn->hash_bn->weight),
                      cnn->hash_bn->bias);
    EXPECT_LT(amax(abs(sub(model->encode(x), want))).item<double>(), 1e-5) << name;
  }
  ModelConfig cfg;
  cfg.bits = 8;
  for (const char* name : {"dsh", "hashnet"})
    EXPECT_FALSE(dynamic_cast<CnnHashModel*>(make_model(name, cfg).get())->hash_bn) << name;
}

// TBH's reconstruction term is summed over the batch like the reference's tf.nn.l2_loss (a
// per-image mean let the adversarial terms dominate and the bits collapse): with the codes
// thresholded at 0.5 (eval mode) a batch repeated twice gets the same graph-smoothed codes,
// so its loss is twice the batch's, up to the O(1) adversarial terms.
TEST(ZooTbh, ReconstructionIsSummedOverTheBatch) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const data::ImageSet train =
      data::take_first(data::load_split("fashion-mnist", data::Split::kTrain), 32);
  ModelConfig cfg;
  cfg.bits = 16;
  cfg.train_size = train.n;
  auto model = make_model("tbh", cfg);
  model->eval();
  NoGradGuard guard;
  TrainBatch once, twice;
  once.images = images_tensor(train, 0, 32);
  twice.images = concat({once.images, once.images}, 0);
  const double one = model->loss(once, 0).item<double>();
  const double two = model->loss(twice, 0).item<double>();
  EXPECT_GT(one, 32 * 10.0);  // ~1/2 ||x||^2 per image of 784 normalised pixels
  EXPECT_NEAR(two / one, 2.0, 0.02);
}

TEST(ZooRun, MetricsJsonMatchesTheCodesBesideIt) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  TrainOptions o;
  o.model = "itq";  // closed form: the whole run takes seconds
  o.bits = 32;
  o.quick = true;
  o.quiet = true;
  o.out = (std::filesystem::temp_directory_path() / "he_zoo_run_test").string();
  std::filesystem::remove_all(o.out);
  RunSummary s = train(o);
  ASSERT_TRUE(s.finished);
  nlohmann::json m = nlohmann::json::parse(std::ifstream(o.out + "/metrics.json"));
  auto codes = [&](const std::string& f) {
    return retrieval::codes_from_npy(retrieval::read_npy(o.out + "/" + f), f, 32);
  };
  auto labels = [&](const std::string& f) {
    return retrieval::Labels::single(
        retrieval::npy_to_i64(retrieval::read_npy(o.out + "/" + f), f));
  };
  retrieval::EvalResult r =
      retrieval::evaluate_hamming(codes("db_codes.npy"), labels("db_labels.npy"),
                                  codes("query_codes.npy"), labels("query_labels.npy"), {});
  EXPECT_EQ(r.database, 6000u);
  EXPECT_EQ(r.queries, 1000u);
  EXPECT_DOUBLE_EQ(m["map@1000"].get<double>(), r.map_k);
  EXPECT_DOUBLE_EQ(m["map@all"].get<double>(), r.map_all);
  EXPECT_DOUBLE_EQ(m["p@r2"].get<double>(), r.p_r2);
  EXPECT_GT(r.map_k, 0.4);  // ITQ on pixels is far above chance (0.1)
  for (const char* f : {"checkpoint.safetensors", "loss.svg", "pr.svg", "train.log"})
    EXPECT_TRUE(std::filesystem::exists(o.out + "/" + f)) << f;
  // eval recomputes the same figures from the checkpoint.
  RunSummary again = evaluate_checkpoint(o.out + "/checkpoint.safetensors");
  EXPECT_DOUBLE_EQ(again.eval.map_k, r.map_k);
}

TEST(ZooRun, SearchGridIsAValidPng) {
  data::ImageSet db;
  db.n = 3, db.c = 1, db.h = 28, db.w = 28;
  db.pixels.assign(3 * 28 * 28, 100);
  std::vector<uint8_t> query(28 * 28, 200);
  std::string path = (std::filesystem::temp_directory_path() / "he_grid_test.png").string();
  write_search_grid(path, query.data(), db, {{2, 0, true}, {0, 17, false}}, 3);
  int w = 0, h = 0, c = 0;
  unsigned char* img = stbi_load(path.c_str(), &w, &h, &c, 3);
  ASSERT_NE(img, nullptr) << stbi_failure_reason();
  EXPECT_EQ(w, 6 + 3 * (84 + 6 + 6));
  // The second hit's frame is red (not relevant), the first one's green.
  auto px = [&](int x, int y) {
    return std::array<int, 3>{img[(y * w + x) * 3], img[(y * w + x) * 3 + 1],
                              img[(y * w + x) * 3 + 2]};
  };
  EXPECT_EQ(px(6 + 96 + 1, 7), (std::array<int, 3>{20, 160, 40}));
  EXPECT_EQ(px(6 + 2 * 96 + 1, 7), (std::array<int, 3>{210, 30, 30}));
  stbi_image_free(img);
}

}  // namespace
}  // namespace he::zoo
