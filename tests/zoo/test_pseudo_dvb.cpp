// pseudo and dvb fit k-means clusters of ITQ-projected features before training: pseudo's
// labels and dvb's prior centres are those clusters, --pseudo-loss picks pseudo's recipe,
// and --features makes them cluster a checkpoint's backbone features.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "engine/data/datasets.h"
#include "zoo/checkpoint.h"
#include "zoo/models/feature_clusters.h"
#include "zoo/models/models.h"
#include "zoo/trainer.h"
#include "zoo/weights.h"
#include "zoo_test_util.h"

namespace he::zoo {
namespace {

using test::have_fashion_mnist;

const data::ImageSet& small_train() { return test::first_train_images(600); }

ModelConfig config(const std::string& pseudo_loss = "dpsh") {
  ModelConfig c;
  c.bits = 16, c.train_size = small_train().n, c.clusters = 10, c.pseudo_loss = pseudo_loss;
  return c;
}

Tensor buffer(HashModel& m, const std::string& name) {
  for (auto& [n, t] : m.named_buffers())
    if (n == name) return t;
  return Tensor();
}

TEST(Pseudo, LabelsAreTheKMeansClustersOfTheItqProjections) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  set_num_threads(1);
  const data::ImageSet& train = small_train();
  Tensor images = images_tensor(train, 0, train.n);
  auto model = make_model("pseudo", config());
  EXPECT_THROW(model->loss(test::batch_of(train, 0, 8), 0), std::logic_error);
  EXPECT_NE(model->fit_targets(images).find("10 clusters"), std::string::npos);
  std::vector<int64_t> y = buffer(*model, "pseudo_labels").to_vector<int64_t>();
  FeatureClusters f = FeatureClusterer(config()).fit(images, 10, 0);
  EXPECT_EQ(y, f.assign.to_vector<int64_t>());
  EXPECT_EQ(std::set<int64_t>(y.begin(), y.end()).size(), 10u);
  // The clusters follow the classes far above chance: each cluster's majority class.
  std::vector<std::vector<int>> count(10, std::vector<int>(10, 0));
  for (size_t i = 0; i < y.size(); ++i) ++count[y[i]][train.labels[i]];
  int agree = 0;
  for (const auto& c : count) agree += *std::max_element(c.begin(), c.end());
  EXPECT_GT(agree, 0.4 * train.n) << agree << " of " << train.n;
  // The projections are scaled to mean |v| = 1.
  EXPECT_NEAR(mean(abs(f.projected)).item<double>(), 1.0, 1e-4);
}

TEST(Pseudo, LossFlagPicksTheSupervisedRecipe) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  set_num_threads(1);
  const data::ImageSet& train = small_train();
  Tensor images = images_tensor(train, 0, train.n);
  TrainBatch b = test::batch_of(train, 0, 32);
  auto dpsh = make_model("pseudo", config("dpsh"));
  auto dsh = make_model("pseudo", config("dsh"));
  EXPECT_DOUBLE_EQ(dpsh->default_lr(), DpshSettings::lr);  // the zoo's DPSH's (pairwise.cpp)
  EXPECT_DOUBLE_EQ(dsh->default_lr(), 1e-3);
  dpsh->fit_targets(images), dsh->fit_targets(images);
  dpsh->eval(), dsh->eval();
  NoGradGuard guard;
  // Each model's u (dpsh's through its hash-layer batch norm), scored by its own recipe on
  // the pseudo-labels.
  Tensor S = losses::similarity(index_select(buffer(*dsh, "pseudo_labels"), 0, b.indices));
  EXPECT_DOUBLE_EQ(dsh->loss(b, 0).item<double>(),
                   losses::dsh(dsh->encode(b.images), S, 0.01, 32).item<double>());
  EXPECT_DOUBLE_EQ(dpsh->loss(b, 0).item<double>(),
                   losses::dpsh(dpsh->encode(b.images), S, DpshSettings::eta).item<double>());
  EXPECT_THROW(make_model("pseudo", config("hashnet")), std::invalid_argument);
  for (const char* n : {"dpsh", "dsh", "dch", "dtsh"})
    EXPECT_NO_THROW(make_model("pseudo", config(n)));
}

TEST(Dvb, PriorOfEachImageIsItsClustersCentroid) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  set_num_threads(1);
  const data::ImageSet& train = small_train();
  Tensor images = images_tensor(train, 0, train.n);
  auto model = make_model("dvb", config());
  model->fit_targets(images);
  FeatureClusters f = FeatureClusterer(config()).fit(images, 10, 0);
  EXPECT_EQ(buffer(*model, "prior_mean").to_vector<float>(),
            index_select(f.centroids, 0, f.assign).to_vector<float>());
  // Without --clusters both take one cluster per 60 training images (10 of these 600).
  ModelConfig c = config();
  c.clusters = 0;
  EXPECT_NE(make_model("dvb", c)->fit_targets(images).find(" 10 clusters"), std::string::npos);
  EXPECT_NE(make_model("pseudo", c)->fit_targets(images).find(" 10 clusters"), std::string::npos);
  EXPECT_EQ(default_cluster_count(60000), 1000);
  EXPECT_EQ(default_cluster_count(50), 2);
  // Codes are the latent mean: deterministic in eval mode, while training samples z.
  model->eval();
  NoGradGuard guard;
  Tensor x = images.narrow(0, 0, 16);
  EXPECT_EQ(model->encode(x).to_vector<float>(), model->encode(x).to_vector<float>());
  EXPECT_EQ(model->encode(x).shape(), (Shape{16, 16}));
}

TEST(PseudoDvb, ClusterOptionsTravelInTheCheckpointOptions) {
  TrainOptions o;
  o.model = "pseudo", o.clusters = 30, o.pseudo_loss = "dsh";
  TrainOptions back = options_from_json(options_json(o));
  EXPECT_EQ(back.clusters, 30);
  EXPECT_EQ(back.pseudo_loss, "dsh");
  o.model = "dvb";
  EXPECT_EQ(options_json(o).find("pseudo_loss"), std::string::npos) << options_json(o);
  EXPECT_NE(options_json(o).find("\"clusters\":30"), std::string::npos) << options_json(o);
  o.model = "hashnet";
  EXPECT_EQ(options_json(o).find("clusters"), std::string::npos) << options_json(o);
}

// pseudo on the small CNN features of a (briefly trained) HashNet run: --features loads them
// into its k-means' feature network, and the run logs the clustering of backbone features.
TEST(PseudoDvb, PseudoClustersACheckpointsFeatures) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  TrainOptions o;
  o.model = "pseudo", o.bits = 16, o.quick = true, o.quiet = true, o.stop_after_iters = 2;
  o.features = test::briefly_trained_cnn("he_pseudo_features_source");
  o.out = test::temp_path("he_pseudo_features");
  std::filesystem::remove_all(o.out);
  train(o);
  std::stringstream log;
  log << std::ifstream(o.out + "/train.log").rdbuf();
  EXPECT_NE(log.str().find("--features"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("ITQ projections (backbone features)"), std::string::npos) << log.str();
  // Models that fit no features refuse --features.
  ModelConfig cfg;
  cfg.bits = 16, cfg.train_size = 4;
  auto hashnet = make_model("hashnet", cfg);
  EXPECT_THROW(load_backbone_weights(o, *hashnet), std::invalid_argument);
  std::filesystem::remove_all(std::filesystem::path(o.features).parent_path());
  std::filesystem::remove_all(o.out);
}

}  // namespace
}  // namespace he::zoo
