#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "engine/data/datasets.h"
#include "engine/data/file_io.h"

namespace he::data {
namespace {

bool have_fashion_mnist() {
  try {
    std::string dir = resolve_dataset("fashion-mnist");
    return std::filesystem::exists(dir + "/train-images-idx3-ubyte.gz") &&
           std::filesystem::exists(dir + "/t10k-labels-idx1-ubyte.gz");
  } catch (const std::runtime_error&) {
    return false;
  }
}

void expect_balanced(const ImageSet& s, int64_t per_class) {
  std::vector<int64_t> count(10, 0);
  for (int64_t l : s.labels) {
    ASSERT_GE(l, 0);
    ASSERT_LT(l, 10);
    ++count[l];
  }
  for (int64_t k = 0; k < 10; ++k) EXPECT_EQ(count[k], per_class) << "class " << k;
}

TEST(FashionMnist, FullLoadCountsAndChecksum) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  auto t0 = std::chrono::steady_clock::now();
  ImageSet train = load_split("fashion-mnist", Split::kTrain);
  ImageSet test = load_split("fashion-mnist", Split::kTest);
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("fashion-mnist train+test load: %.1f ms\n", ms);
  EXPECT_EQ(train.n, 60000);
  EXPECT_EQ(test.n, 10000);
  for (const ImageSet* s : {&train, &test}) {
    EXPECT_EQ(s->c, 1);
    EXPECT_EQ(s->h, 28);
    EXPECT_EQ(s->w, 28);
    EXPECT_EQ(s->num_classes, 10);
  }
  expect_balanced(train, 6000);
  expect_balanced(test, 1000);
  // FNV-1a over the train pixels then the test pixels, and over all labels (one byte each).
  uint64_t h = fnv1a(train.pixels.data(), train.pixels.size());
  h = fnv1a(test.pixels.data(), test.pixels.size(), h);
  std::vector<uint8_t> labels(train.labels.begin(), train.labels.end());
  labels.insert(labels.end(), test.labels.begin(), test.labels.end());
  std::printf("pixel fnv1a 0x%016llx label fnv1a 0x%016llx\n", static_cast<unsigned long long>(h),
              static_cast<unsigned long long>(fnv1a(labels.data(), labels.size())));
  EXPECT_EQ(h, 0x53b0ba627a477ce0ull);  // cross-checked with Python gzip + FNV-1a
  EXPECT_EQ(fnv1a(labels.data(), labels.size()), 0x9c31dd87e8f1095dull);
}

TEST(FashionMnist, QuickProtocolSplit) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  RetrievalSplit s = fm_protocol(/*quick=*/true);
  EXPECT_EQ(s.train.n, 6000);
  EXPECT_EQ(s.database.n, 6000);
  EXPECT_EQ(s.query.n, 1000);
  EXPECT_EQ(s.train.pixels, s.database.pixels);
  ImageSet test = load_split("fashion-mnist", Split::kTest);
  EXPECT_TRUE(std::equal(s.query.pixels.begin(), s.query.pixels.end(), test.pixels.begin()));
  EXPECT_EQ(s.query.labels, std::vector<int64_t>(test.labels.begin(), test.labels.begin() + 1000));
}

TEST(Datasets, UnknownNameAndMissingRoot) {
  EXPECT_THROW(resolve_dataset("imagenet-21k"), std::runtime_error);
  const char* old = std::getenv("HE_DATA_DIR");
  std::string saved = old ? old : "";
  ::setenv("HE_DATA_DIR", "/nonexistent/he_data", 1);
  try {
    resolve_dataset("fashion-mnist");
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/he_data/fashion-mnist"), std::string::npos);
  }
  if (old)
    ::setenv("HE_DATA_DIR", saved.c_str(), 1);
  else
    ::unsetenv("HE_DATA_DIR");
}

}  // namespace
}  // namespace he::data
