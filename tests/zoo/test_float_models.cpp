// Float-descriptor models (siamese, triplet, msloss): every backbone's conv map, unit-length
// descriptors from the head or from each global pooling, and a run whose metrics.json agrees
// with the descriptors written beside it.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "retrieval/float_eval.h"
#include "retrieval/npy.h"
#include "zoo/backbones.h"
#include "zoo/encode.h"
#include "zoo/trainer.h"
#include "zoo_test_util.h"

namespace he::zoo {
namespace {

TEST(BackboneFeatureMap, ShapesBeforePooling) {
  Generator g(1);
  auto drop = std::make_shared<Generator>(2);
  Tensor x = Tensor::randn({2, 1, 28, 28}, g);
  struct Case {
    std::string name;
    Shape map;
  };
  // 28 -> 64 for the torchvision nets: ResNet-18 reduces by 32 (2x2), AlexNet's features to
  // 1x1 at this size. (VGG-16's map is built the same way as AlexNet's; it is left out for
  // its 138M parameters.)
  for (const Case& c : {Case{"small", {2, 64, 7, 7}}, Case{"mlp", {2, 1024, 1, 1}},
                        Case{"resnet18", {2, 512, 2, 2}}, Case{"alexnet", {2, 256, 1, 1}}}) {
    BackboneSpec spec;
    spec.name = c.name, spec.out = 8;
    auto net = make_backbone(spec, g, drop);
    net->eval();
    NoGradGuard ng;
    Tensor m = net->feature_map(x);
    EXPECT_EQ(m.shape(), c.map) << c.name;
    EXPECT_EQ(m.size(1), net->map_channels()) << c.name;
  }
}

TEST(FloatModels, UnitDescriptorsFromHeadAndEveryPooling) {
  if (!test::have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const data::ImageSet& train = test::first_train_images(64);
  TrainBatch b = test::batch_of(train, 0, 32);
  for (std::string model : {"siamese", "triplet", "msloss"})
    for (std::string pool : {"", "mac", "spoc", "rmac", "gem", "crow", "netvlad"}) {
      ModelConfig cfg;
      cfg.bits = 16, cfg.pool = pool;
      auto m = make_model(model, cfg);
      ASSERT_TRUE(m->float_descriptors());
      Tensor d = m->encode(b.images);
      ASSERT_EQ(d.shape(), (Shape{32, 16})) << model << " " << pool;
      for (double v : norm(d.detach(), 2, {1}).to_vector<float>())
        EXPECT_NEAR(v, 1.0, 1e-5) << model << " " << pool;
      Tensor loss = m->loss(b, 0);
      ASSERT_TRUE(std::isfinite(loss.item<double>())) << model << " " << pool;
      loss.backward();
      // The pooling's own parameters (GeM's p, NetVLAD's centres) learn too.
      for (auto& [name, p] : m->named_parameters()) {
        if (name.rfind("pool.", 0) == 0) {
          EXPECT_TRUE(p.grad().defined()) << model << " " << name;
        }
      }
    }
  EXPECT_FALSE(make_model("hashnet", ModelConfig{})->float_descriptors());
  EXPECT_TRUE(model_has_float_descriptors("triplet"));
}

TEST(FloatModels, RunMetricsMatchTheDescriptorsBesideThem) {
  if (!test::have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  TrainOptions o;
  o.model = "triplet", o.bits = 16, o.epochs = 1, o.quick = true, o.quiet = true;
  o.out = test::temp_path("he_float_run_test");
  std::filesystem::remove_all(o.out);
  RunSummary s = train(o);
  ASSERT_TRUE(s.finished);
  nlohmann::json m = nlohmann::json::parse(std::ifstream(o.out + "/metrics.json"));
  auto features = [&](const std::string& f) { return retrieval::read_npy(o.out + "/" + f); };
  retrieval::NpyArray db = features("db_features.npy"), q = features("query_features.npy");
  ASSERT_EQ(db.shape, (std::vector<int64_t>{6000, 16}));
  auto labels = [&](const std::string& f) {
    return retrieval::Labels::single(
        retrieval::npy_to_i64(retrieval::read_npy(o.out + "/" + f), f));
  };
  retrieval::EvalResult r =
      retrieval::evaluate_float(reinterpret_cast<const float*>(db.bytes.data()), 6000,
                                reinterpret_cast<const float*>(q.bytes.data()), 1000, 16,
                                labels("db_labels.npy"), labels("query_labels.npy"));
  EXPECT_DOUBLE_EQ(m["map@1000"].get<double>(), r.map_k);
  EXPECT_DOUBLE_EQ(m["map@all"].get<double>(), r.map_all);
  EXPECT_EQ(m["bytes_per_item"].get<int>(), 64);
  EXPECT_FALSE(m.contains("p@r2"));
  EXPECT_TRUE(m["whitened"].contains("map@1000"));
  EXPECT_GT(r.map_k, 0.5);  // one epoch of FM-quick is far above chance (0.1)
  std::filesystem::remove_all(o.out);
}

}  // namespace
}  // namespace he::zoo
