// --data SPEC: the same small data set written in every layout loads the same; multi-label
// lists keep their rows; each kind of bad input is an error naming where it is.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stb_image_write.h>

#include <filesystem>
#include <numeric>
#include <set>

#include "data/test_util.h"
#include "engine/data/data_spec.h"
#include "engine/data/image_decode.h"
#include "engine/data/transforms.h"

namespace he::data {
namespace {
using testing::TempDir;
namespace fs = std::filesystem;

// Runs fn, which must throw; the message must contain every part.
void expect_error(const std::function<void()>& fn, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "no exception";
  } catch (const std::exception& e) {
    for (const std::string& p : parts)
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos)
          << "message '" << e.what() << "' lacks '" << p << "'";
  }
}

constexpr int kSide = 6;
// Grey image `i`: pixel (y, x) = (i * 37 + y * 11 + x * 5) & 255, class i % 3.
std::vector<uint8_t> grey(int i) {
  std::vector<uint8_t> px;
  for (int y = 0; y < kSide; ++y)
    for (int x = 0; x < kSide; ++x) px.push_back(static_cast<uint8_t>(i * 37 + y * 11 + x * 5));
  return px;
}
void write_grey_png(const std::string& path, int i) {
  fs::create_directories(fs::path(path).parent_path());
  std::vector<uint8_t> px = grey(i);
  ASSERT_TRUE(stbi_write_png(path.c_str(), kSide, kSide, 1, px.data(), kSide));
}

// Images 0..7 train (and database), 8..10 test, in three layouts under dir.
constexpr int kTrain = 8, kTest = 3;
void write_idx_layout(const std::string& dir) {
  fs::create_directories(dir);
  for (const char* prefix : {"train", "t10k"}) {
    const bool train = std::string(prefix) == "train";
    const int first = train ? 0 : kTrain, n = train ? kTrain : kTest;
    std::vector<uint8_t> images, labels;
    testing::put_be32(images, 0x803), testing::put_be32(images, n);
    testing::put_be32(images, kSide), testing::put_be32(images, kSide);
    testing::put_be32(labels, 0x801), testing::put_be32(labels, n);
    for (int i = first; i < first + n; ++i) {
      std::vector<uint8_t> px = grey(i);
      images.insert(images.end(), px.begin(), px.end());
      labels.push_back(static_cast<uint8_t>(i % 3));
    }
    testing::write_gzip(fmt::format("{}/{}-images-idx3-ubyte.gz", dir, prefix), images);
    testing::write_file(fmt::format("{}/{}-labels-idx1-ubyte", dir, prefix), labels);
  }
}
std::string one_hot(int cls) {
  std::string s;
  for (int k = 0; k < 3; ++k) s += k == cls ? " 1" : " 0";
  return s;
}
void write_list_layout(const std::string& dir) {
  std::string train, test;
  for (int i = 0; i < kTrain + kTest; ++i) {
    const std::string name = fmt::format("img/{:02d}.png", i);
    write_grey_png(dir + "/" + name, i);
    (i < kTrain ? train : test) += name + one_hot(i % 3) + "\n";
  }
  testing::write_text(dir + "/train.txt", train);
  testing::write_text(dir + "/database.txt", train);
  testing::write_text(dir + "/test.txt", test);
}
// Files named so that the sorted order within a class folder is the index order.
void write_folder_layout(const std::string& dir) {
  for (int i = 0; i < kTrain + kTest; ++i)
    write_grey_png(
        fmt::format("{}/{}/class{}/{:02d}.png", dir, i < kTrain ? "train" : "test", i % 3, i), i);
}

// Rows of `set` sorted by (label, pixels), to compare sets whose order differs.
std::vector<std::pair<int64_t, std::vector<uint8_t>>> rows(const ImageSet& set) {
  std::vector<std::pair<int64_t, std::vector<uint8_t>>> r;
  for (int64_t i = 0; i < set.n; ++i)
    r.emplace_back(set.labels.at(i),
                   std::vector<uint8_t>(set.image(i), set.image(i) + set.image_size()));
  std::sort(r.begin(), r.end());
  return r;
}

TEST(DataSpec, ParsesEveryFormAndRejectsOthers) {
  TempDir dir;
  EXPECT_EQ(parse_data_spec("fashion-mnist").kind, DataSpec::Kind::kFashionMnist);
  EXPECT_EQ(parse_data_spec("mnist").kind, DataSpec::Kind::kMnist);
  for (const char* p : {"idx", "cifar10", "list", "folder"}) {
    const DataSpec s = parse_data_spec(std::string(p) + ":" + dir.path().string());
    EXPECT_EQ(s.dir, dir.path().string());
    EXPECT_EQ(s.str(), std::string(p) + ":" + dir.path().string());
  }
  expect_error([] { parse_data_spec("imagenet"); }, {"imagenet", "list:DIR", "folder:DIR"});
  expect_error([] { parse_data_spec("list:"); }, {"no directory"});
  expect_error([&] { parse_data_spec("list:" + (dir / "absent")); }, {"absent", "not a directory"});
}

TEST(DataSpec, TheSameImagesLoadTheSameInEveryLayout) {
  TempDir dir;
  write_idx_layout(dir / "idx");
  write_list_layout(dir / "list");
  write_folder_layout(dir / "folder");
  std::vector<LoadedData> loaded;
  for (const char* spec : {"idx:", "list:", "folder:"}) {
    const std::string layout = std::string(spec).substr(0, std::string(spec).size() - 1);
    loaded.push_back(load_data(parse_data_spec(spec + (dir / layout)), {}));
  }
  for (const LoadedData& d : loaded) {
    const RetrievalSplit& s = d.split;
    EXPECT_EQ(s.train.n, kTrain);
    EXPECT_EQ(s.database.n, kTrain);
    EXPECT_EQ(s.query.n, kTest);
    EXPECT_EQ(s.train.c, 1);
    EXPECT_EQ(s.train.h, kSide);
    EXPECT_FALSE(s.train.multi_label());
    EXPECT_EQ(rows(s.train), rows(loaded[0].split.train));
    EXPECT_EQ(rows(s.query), rows(loaded[0].split.query));
    EXPECT_EQ(rows(s.database), rows(loaded[0].split.database));
    EXPECT_EQ(s.train.mean, loaded[0].split.train.mean);  // statistics of the same pixels
    EXPECT_EQ(s.query.std, loaded[0].split.train.std);
    EXPECT_EQ(d.default_k, 1000);
  }
  // The list keeps its order; the class folders come out class by class.
  EXPECT_EQ(loaded[1].split.train.labels, loaded[0].split.train.labels);
}

TEST(DataSpec, ChannelStatsAreThoseOfTheTrainingPixels) {
  ImageSet s;
  s.n = 2, s.c = 2, s.h = 1, s.w = 2;
  s.pixels = {0, 255, 51, 51, 255, 0, 102, 102};  // channel 0: 0 255 255 0; 1: 51 51 102 102
  std::vector<float> mean, std;
  channel_stats(s, mean, std);
  EXPECT_NEAR(mean[0], 0.5, 1e-6);
  EXPECT_NEAR(std[0], 0.5, 1e-6);
  EXPECT_NEAR(mean[1], 0.3, 1e-6);
  EXPECT_NEAR(std[1], 0.1, 1e-6);
}

TEST(DataSpec, MultiLabelListsKeepTheirRows) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 4; ++i) {
    write_grey_png(dir / fmt::format("m/{}.png", i), i);
    text += fmt::format("{}/m/{}.png {} {} 1\n", dir.path().string(), i, i % 2, 1 - i % 2);
  }
  testing::write_text(dir / "train.txt", text);  // absolute paths
  testing::write_text(dir / "database.txt", text);
  testing::write_text(dir / "test.txt", text);
  fs::create_directories(dir / "nus_wide");
  for (const char* f : {"train.txt", "database.txt", "test.txt"})
    fs::copy_file(dir / f, dir / (std::string("nus_wide/") + f));
  LoadedData d = load_data(parse_data_spec("list:" + (dir / "nus_wide")), {});
  EXPECT_TRUE(d.split.train.multi_label());
  EXPECT_EQ(d.split.train.num_classes, 3);
  EXPECT_EQ(d.split.query.multi_hot, (std::vector<uint8_t>{0, 1, 1, 1, 0, 1, 0, 1, 1, 1, 0, 1}));
  EXPECT_TRUE(d.split.database.labels.empty());
  EXPECT_EQ(d.default_k, 5000);  // DeepHash-pytorch's topK for NUS-WIDE
}

TEST(DataSpec, FolderDatabaseAndClassNames) {
  TempDir dir;
  write_folder_layout(dir / "f");
  write_grey_png(dir / "f/database/class2/x.png", 40);
  LoadedData d = load_data(parse_data_spec("folder:" + (dir / "f")), {});
  EXPECT_EQ(d.split.database.n, 1);
  EXPECT_EQ(d.split.database.labels, (std::vector<int64_t>{2}));
  write_grey_png(dir / "f/test/zebra/y.png", 41);
  expect_error([&] { load_data(parse_data_spec("folder:" + (dir / "f")), {}); },
               {"zebra", "not a class of the training set"});
}

TEST(DataSpec, ImagesOfDifferentSizesNeedASide) {
  TempDir dir;
  std::vector<uint8_t> wide(3 * 20 * 10, 0);
  for (int y = 0; y < 10; ++y)
    for (int x = 10; x < 20; ++x)
      for (int c = 0; c < 3; ++c) wide[(y * 20 + x) * 3 + c] = 255;  // right half white
  fs::create_directories(dir / "f/train/a");
  fs::create_directories(dir / "f/test/a");
  ASSERT_TRUE(stbi_write_png((dir / "f/train/a/wide.png").c_str(), 20, 10, 3, wide.data(), 60));
  write_grey_png(dir / "f/train/a/small.png", 1);
  write_grey_png(dir / "f/test/a/small.png", 2);
  expect_error([&] { load_data(parse_data_spec("folder:" + (dir / "f")), {}); },
               {"wide.png", "10x20", "the first image is 6x6"});
  DataOptions o;
  o.image_size = 4;
  LoadedData d = load_data(parse_data_spec("folder:" + (dir / "f")), o);
  EXPECT_TRUE(d.resized);
  EXPECT_EQ(d.split.train.c, 3);  // a colour file among the first 16
  EXPECT_EQ(d.split.train.h, 4);
  EXPECT_EQ(d.split.train.w, 4);
  // The centre 10x10 of the 20x10 image (x 5..14, half black, half white), scaled to 4x4.
  const uint8_t* img = d.split.train.image(1);  // a/wide.png sorts after a/small.png
  EXPECT_LT(img[0], 10);
  EXPECT_GT(img[3], 245);
}

TEST(DataSpec, BadListInputIsAnErrorNamingTheLine) {
  TempDir dir;
  write_list_layout(dir / "l");
  const std::string spec = "list:" + (dir / "l");
  auto with_test = [&](const std::string& text) { testing::write_text(dir / "l/test.txt", text); };
  with_test("img/08.png 0 1 0\nimg/missing.png 1 0 0\n");
  expect_error([&] { load_data(parse_data_spec(spec), {}); }, {"test.txt:2", "img/missing.png"});
  testing::write_file(dir / "l/img/bad.png", {0x89, 'P', 'N', 'G', 1, 2, 3});
  with_test("img/08.png 0 1 0\n\nimg/bad.png 1 0 0\n");
  expect_error([&] { load_data(parse_data_spec(spec), {}); },
               {"test.txt:3", "img/bad.png", "cannot decode"});
  with_test("img/08.png 0 1 0\nimg/09.png 1 0\n");
  expect_error([&] { load_data(parse_data_spec(spec), {}); },
               {"test.txt:2", "2 labels, expected 3"});
  with_test("img/08.png 0 1 0\nimg/09.png 1 0 0\n./img/08.png 0 1 0\n");
  expect_error([&] { load_data(parse_data_spec(spec), {}); },
               {"test.txt:3", "already listed on line 1"});
  with_test("\n");
  expect_error([&] { load_data(parse_data_spec(spec), {}); },
               {"test.txt", "test split has no images"});
  fs::remove(dir / "l/database.txt");
  expect_error([&] { load_data(parse_data_spec(spec), {}); }, {"database.txt", "cannot open"});
}

TEST(DataSpec, SkipBadImagesLeavesThemOutAndSaysWhich) {
  TempDir dir;
  write_list_layout(dir / "l");
  testing::write_text(dir / "l/test.txt", "img/08.png 0 1 0\nimg/missing.png 1 0 0\n");
  DataOptions o;
  o.skip_bad_images = true;
  LoadedData d = load_data(parse_data_spec("list:" + (dir / "l")), o);
  EXPECT_EQ(d.split.query.n, 1);
  ASSERT_EQ(d.skipped_files.size(), 1u);
  EXPECT_NE(d.skipped_files[0].find("test.txt:2"), std::string::npos);
  testing::write_text(dir / "l/test.txt", "img/missing.png 1 0 0\n");
  expect_error([&] { load_data(parse_data_spec("list:" + (dir / "l")), o); },
               {"no image of the test split"});
}

TEST(DataSpec, EmptyClassFolderIsAnError) {
  TempDir dir;
  write_folder_layout(dir / "f");
  fs::create_directories(dir / "f/train/empty");
  expect_error([&] { load_data(parse_data_spec("folder:" + (dir / "f")), {}); },
               {"train", "'empty' has no images"});
}

// CIFAR-10 batches of `n` records: label i % 10, pixels i.
void write_cifar(const std::string& path, int n, int first) {
  std::vector<uint8_t> b;
  for (int i = first; i < first + n; ++i) {
    b.push_back(static_cast<uint8_t>(i % 10));
    b.insert(b.end(), 3 * 32 * 32, static_cast<uint8_t>(i));
  }
  testing::write_file(path, b);
}

TEST(DataSpec, CifarDirectoryAndItsErrors) {
  TempDir dir;
  for (int k = 1; k <= 5; ++k) write_cifar(dir / fmt::format("c/data_batch_{}.bin", k), 4, k * 4);
  write_cifar(dir / "c/test_batch.bin", 3, 100);
  LoadedData d = load_data(parse_data_spec("cifar10:" + (dir / "c")), {});
  EXPECT_EQ(d.split.train.n, 20);
  EXPECT_EQ(d.split.database.n, 20);
  EXPECT_EQ(d.split.query.n, 3);
  EXPECT_EQ(d.split.train.c, 3);
  EXPECT_EQ(d.split.query.labels, (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(d.default_k, 0);  // the whole database, as DeepHash-pytorch's CIFAR-10
  EXPECT_EQ(d.split.train.mean.size(), 3u);
  std::vector<uint8_t> cut(3 * 3073 - 5, 0);
  testing::write_file(dir / "c/test_batch.bin", cut);
  expect_error([&] { load_data(parse_data_spec("cifar10:" + (dir / "c")), {}); },
               {"test_batch.bin", "not a positive multiple of the 3073-byte record"});
  DataOptions o;
  o.protocol = "cifar10-3";
  write_cifar(dir / "c/test_batch.bin", 3, 100);
  expect_error([&] { load_data(parse_data_spec("cifar10:" + (dir / "c")), o); },
               {"cifar10-3", "cifar10-1"});
  o.protocol = "cifar10";
  expect_error([&] { load_data(parse_data_spec("idx:" + (dir / "c")), o); }, {"only cifar10:DIR"});
}

TEST(DataSpec, CifarProtocolsHaveDeepHashCounts) {
  ImageSet train, test;  // 60,000 one-pixel images, 6,000 per class
  for (ImageSet* s : {&train, &test}) s->c = 1, s->h = 1, s->w = 1, s->num_classes = 10;
  for (int i = 0; i < 60000; ++i) {
    ImageSet& s = i < 50000 ? train : test;
    s.pixels.push_back(static_cast<uint8_t>(i)), s.labels.push_back(i % 10), ++s.n;
  }
  struct Want {
    const char* name;
    int64_t train, database, query;
  };
  for (const Want& w : {Want{"cifar10", 5000, 54000, 1000}, Want{"cifar10-1", 5000, 59000, 1000},
                        Want{"cifar10-2", 50000, 50000, 10000}}) {
    RetrievalSplit s = cifar10_protocol(train, test, w.name, 0);
    EXPECT_EQ(s.train.n, w.train) << w.name;
    EXPECT_EQ(s.database.n, w.database) << w.name;
    EXPECT_EQ(s.query.n, w.query) << w.name;
    std::vector<int64_t> per_class(10, 0);
    for (int64_t l : s.query.labels) ++per_class[l];
    EXPECT_EQ(per_class, std::vector<int64_t>(10, w.query / 10)) << w.name;
  }
  RetrievalSplit a = cifar10_protocol(train, test, "cifar10", 3);
  RetrievalSplit b = cifar10_protocol(train, test, "cifar10", 3);
  RetrievalSplit c = cifar10_protocol(train, test, "cifar10", 4);
  EXPECT_EQ(a.query.pixels, b.query.pixels);
  EXPECT_NE(a.query.pixels, c.query.pixels);
}

TEST(DataSpec, RandomResizedCropIsSeededAndInsideTheImage) {
  TransformOptions o;
  o.random_resized_crop = 5;
  o.random_hflip = true;
  Transform t(o);
  int64_t oh = 0, ow = 0;
  t.output_size(12, 9, oh, ow);
  EXPECT_EQ(oh, 5);
  EXPECT_EQ(ow, 5);
  std::vector<uint8_t> img(2 * 12 * 9, 200);
  std::vector<float> a(2 * 25), b(2 * 25), c(2 * 25);
  t.apply(img.data(), 2, 12, 9, 7, 0, 3, a.data());
  t.apply(img.data(), 2, 12, 9, 7, 0, 3, b.data());
  EXPECT_EQ(a, b);
  for (float v : a) EXPECT_NEAR(v, 200.0f / 255, 1e-5);  // a constant image stays constant
  std::vector<uint8_t> ramp(12 * 9);
  std::iota(ramp.begin(), ramp.end(), 0);
  std::set<std::vector<float>> seen;
  for (int64_t i = 0; i < 8; ++i) {
    t.apply(ramp.data(), 1, 12, 9, 7, 0, i, c.data());
    seen.insert(std::vector<float>(c.begin(), c.begin() + 25));
  }
  EXPECT_GT(seen.size(), 4u);  // different windows for different samples
}

}  // namespace
}  // namespace he::data
