// --data on the zoo: training and evaluation on a user's multi-label list, the run directory
// recording the data, per-channel normalisation, and bad data stopping a run before it
// writes anything.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stb_image_write.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "retrieval/npy.h"
#include "zoo/dataset.h"
#include "zoo/encode.h"
#include "zoo/model.h"
#include "zoo/trainer.h"
#include "zoo/zoo_test_util.h"

namespace he::zoo {
namespace {
namespace fs = std::filesystem;

// A multi-label list set in `dir`: 8x8 grey images whose brightness and stripes follow their
// three labels, 64 for training (= database) and 16 queries. Label j of image i: bit j of
// (i % 7) + 1, so every image has at least one label.
void write_multi_label_list(const std::string& dir) {
  fs::create_directories(dir + "/img");
  std::string train, test;
  for (int i = 0; i < 80; ++i) {
    const int bits = i % 7 + 1;
    std::vector<uint8_t> px(64);
    for (int y = 0; y < 8; ++y)
      for (int x = 0; x < 8; ++x)
        px[y * 8 + x] =
            static_cast<uint8_t>(((bits & 1) ? 120 : 0) + ((bits & 2) && x % 2 ? 80 : 0) +
                                 ((bits & 4) && y % 2 ? 50 : 0) + (i * 13 + x) % 5);
    const std::string name = fmt::format("img/{:03d}.png", i);
    ASSERT_TRUE(stbi_write_png((dir + "/" + name).c_str(), 8, 8, 1, px.data(), 8));
    (i < 64 ? train : test) +=
        fmt::format("{} {} {} {}\n", name, bits & 1, (bits >> 1) & 1, (bits >> 2) & 1);
  }
  std::ofstream(dir + "/train.txt") << train;
  std::ofstream(dir + "/database.txt") << train;
  std::ofstream(dir + "/test.txt") << test;
}

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

class DataOption : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = test::temp_path("he_zoo_data");
    fs::remove_all(root_);
    write_multi_label_list(root_ + "/ml");
    setenv("HE_CACHE_DIR", (root_ + "/cache").c_str(), 1);
  }
  void TearDown() override {
    unsetenv("HE_CACHE_DIR");
    fs::remove_all(root_);
  }
  TrainOptions options(const std::string& model) const {
    TrainOptions o;
    o.model = model, o.data = "list:" + root_ + "/ml", o.bits = 16, o.epochs = 1, o.batch = 16;
    o.quiet = true, o.out = root_ + "/run-" + model;
    return o;
  }
  std::string root_;
};

TEST_F(DataOption, TrainsAndEvaluatesOnAMultiLabelList) {
  TrainOptions o = options("dpsh");
  RunSummary s = train(o);
  ASSERT_TRUE(s.finished);
  EXPECT_EQ(s.eval.queries, 16u);
  EXPECT_EQ(s.eval.database, 64u);
  EXPECT_EQ(s.eval.k, 64u);  // the data set's default k (1,000) clamped to the database
  nlohmann::json m = nlohmann::json::parse(read_text(o.out + "/metrics.json"));
  EXPECT_EQ(m.at("data"), o.data);
  EXPECT_EQ(m.at("protocol"), "default");
  const retrieval::NpyArray labels = retrieval::read_npy(o.out + "/query_labels.npy");
  EXPECT_EQ(labels.shape, (std::vector<int64_t>{16, 3}));
  // eval re-reads the data from the checkpoint's options.
  RunSummary again = evaluate_checkpoint(o.out + "/checkpoint.safetensors");
  EXPECT_DOUBLE_EQ(again.eval.map_k, s.eval.map_k);
  EXPECT_NE(read_text(o.out + "/train.log").find("3 classes (multi-label)"), std::string::npos);
}

TEST_F(DataOption, SingleLabelRecipesRefuseMultiLabelData) {
  for (const char* model : {"greedyhash", "dsdh", "adsh", "ssdh"}) {
    try {
      train(options(model));
      ADD_FAILURE() << model << ": no error";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("multi-label"), std::string::npos) << e.what();
    }
  }
}

TEST_F(DataOption, BadDataStopsTheRunBeforeItWritesAnything) {
  std::ofstream(root_ + "/ml/test.txt") << "img/000.png 1 0 0\nimg/nope.png 0 1 0\n";
  TrainOptions o = options("hashnet");
  try {
    train(o);
    ADD_FAILURE() << "no error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("test.txt:2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("img/nope.png"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(o.out));
  o.skip_bad_images = true;
  RunSummary s = train(o);
  EXPECT_EQ(s.eval.queries, 1u);
  EXPECT_NE(read_text(o.out + "/train.log").find("1 images skipped"), std::string::npos);
}

TEST(DataOptionUnits, ImagesAreNormalisedPerChannel) {
  data::ImageSet s;
  s.n = 1, s.c = 2, s.h = 1, s.w = 1;
  s.pixels = {51, 255};
  s.mean = {0.2f, 0.5f}, s.std = {0.1f, 0.25f};
  std::vector<float> v = images_tensor(s, 0, 1).to_vector<float>();
  EXPECT_NEAR(v[0], 0.0, 1e-5);  // (0.2 - 0.2) / 0.1
  EXPECT_NEAR(v[1], 2.0, 1e-5);  // (1.0 - 0.5) / 0.25
}

TEST(DataOptionUnits, MultiHotBatchesGiveLabelRows) {
  data::Batch b;
  b.b = 2, b.c = 1, b.h = 1, b.w = 1, b.images = {0, 0}, b.indices = {4, 7};
  b.num_classes = 3, b.multi_hot = {1, 0, 1, 0, 1, 0};
  TrainBatch t = to_train_batch(b);
  EXPECT_EQ(t.labels.shape(), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(t.labels.to_vector<float>(), (std::vector<float>{1, 0, 1, 0, 1, 0}));
}

TEST(DataOptionUnits, DefaultKFollowsTheDataSet) {
  data::LoadedData d;
  d.split.database.n = 54000;
  d.default_k = 0;
  EXPECT_EQ(resolve_k(0, d), 54000);
  EXPECT_EQ(resolve_k(500, d), 500);
  d.default_k = 5000;
  EXPECT_EQ(resolve_k(0, d), 5000);
}

}  // namespace
}  // namespace he::zoo
