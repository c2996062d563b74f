#include <gtest/gtest.h>

#include "data/test_util.h"
#include "engine/data/cifar.h"
#include "engine/data/idx.h"

namespace he::data {
namespace {
using testing::expect_throw_with;
using testing::TempDir;

TEST(Idx, PlainAndGzipGiveTheSameImagesAndLabels) {
  TempDir dir;
  testing::write_file(dir / "img", testing::idx_images(5, 4, 3));
  testing::write_file(dir / "lab", testing::idx_labels(5, 3));
  testing::write_gzip(dir / "img.gz", testing::idx_images(5, 4, 3));
  testing::write_gzip(dir / "lab.gz", testing::idx_labels(5, 3));
  ImageSet plain = load_idx(dir / "img", dir / "lab");
  ImageSet gz = load_idx(dir / "img.gz", dir / "lab.gz");
  for (const ImageSet* s : {&plain, &gz}) {
    EXPECT_EQ(s->n, 5);
    EXPECT_EQ(s->c, 1);
    EXPECT_EQ(s->h, 4);
    EXPECT_EQ(s->w, 3);
    EXPECT_EQ(s->num_classes, 3);
    ASSERT_EQ(s->labels, (std::vector<int64_t>{0, 1, 2, 0, 1}));
    EXPECT_EQ(s->image(2)[1 * 3 + 2], 2 * 7 + 1 * 3 + 2);  // image 2, y 1, x 2
  }
  EXPECT_EQ(plain.pixels, gz.pixels);
}

TEST(Idx, MissingFileNamesIt) {
  TempDir dir;
  expect_throw_with([&] { read_idx_images(dir / "nope.gz"); }, {"nope.gz", "cannot open"});
}

TEST(Idx, WrongMagic) {
  TempDir dir;
  testing::write_file(dir / "lab", testing::idx_labels(4, 2));
  expect_throw_with([&] { read_idx_images(dir / "lab"); }, {dir / "lab", "magic", "offset 0"});
}

TEST(Idx, TruncatedDataPlainAndGzip) {
  TempDir dir;
  std::vector<uint8_t> b = testing::idx_images(5, 4, 3);
  b.resize(b.size() - 1);
  testing::write_file(dir / "short", b);
  expect_throw_with([&] { read_idx_images(dir / "short"); }, {dir / "short", "truncated"});
  std::vector<uint8_t> header(b.begin(), b.begin() + 10);
  testing::write_file(dir / "hdr", header);
  expect_throw_with([&] { read_idx_images(dir / "hdr"); }, {dir / "hdr", "truncated IDX header"});
  // A gzip stream cut in the middle.
  testing::write_gzip(dir / "full.gz", testing::idx_images(50, 28, 28));
  std::vector<uint8_t> gz;
  {
    std::ifstream f(dir / "full.gz", std::ios::binary);
    gz.assign(std::istreambuf_iterator<char>(f), {});
  }
  gz.resize(gz.size() / 2);
  testing::write_file(dir / "cut.gz", gz);
  expect_throw_with([&] { read_idx_images(dir / "cut.gz"); }, {dir / "cut.gz", "gzip"});
}

TEST(Idx, LyingHeaderDoesNotAllocate) {
  TempDir dir;
  std::vector<uint8_t> b;
  testing::put_be32(b, 0x803), testing::put_be32(b, 0xffffffffu);
  testing::put_be32(b, 0xffffffffu), testing::put_be32(b, 0xffffffffu);
  b.push_back(1);
  testing::write_file(dir / "liar", b);
  expect_throw_with([&] { read_idx_images(dir / "liar"); }, {dir / "liar", "truncated"});
}

TEST(Idx, TrailingBytesAndCountMismatch) {
  TempDir dir;
  std::vector<uint8_t> b = testing::idx_images(2, 2, 2);
  b.push_back(0);
  testing::write_file(dir / "long", b);
  expect_throw_with([&] { read_idx_images(dir / "long"); }, {"trailing", "offset 24"});
  testing::write_file(dir / "img", testing::idx_images(3, 2, 2));
  testing::write_file(dir / "lab", testing::idx_labels(4, 2));
  expect_throw_with([&] { load_idx(dir / "img", dir / "lab"); }, {"4 labels for 3 images"});
}

std::vector<uint8_t> cifar_records(int n, bool cifar100) {
  std::vector<uint8_t> b;
  for (int i = 0; i < n; ++i) {
    if (cifar100) b.push_back(static_cast<uint8_t>(i % 20));
    b.push_back(static_cast<uint8_t>(cifar100 ? (i * 3) % 100 : i % 10));
    for (int p = 0; p < 3072; ++p) b.push_back(static_cast<uint8_t>(i + p));
  }
  return b;
}

TEST(Cifar, TenAndHundredConcatenateFiles) {
  TempDir dir;
  testing::write_file(dir / "data_batch_1.bin", cifar_records(3, false));
  testing::write_file(dir / "data_batch_2.bin", cifar_records(2, false));
  ImageSet s =
      load_cifar({dir / "data_batch_1.bin", dir / "data_batch_2.bin"}, CifarKind::kCifar10);
  EXPECT_EQ(s.n, 5);
  EXPECT_EQ(s.c, 3);
  EXPECT_EQ(s.h, 32);
  EXPECT_EQ(s.labels, (std::vector<int64_t>{0, 1, 2, 0, 1}));
  EXPECT_EQ(s.image(1)[1024], static_cast<uint8_t>(1 + 1024));  // image 1, green plane
  EXPECT_EQ(s.image(4)[5], 1 + 5);
  testing::write_file(dir / "train.bin", cifar_records(4, true));
  ImageSet fine = load_cifar_dir(dir.path().string(), CifarKind::kCifar100Fine, Split::kTrain);
  ImageSet coarse = load_cifar_dir(dir.path().string(), CifarKind::kCifar100Coarse, Split::kTrain);
  EXPECT_EQ(fine.labels, (std::vector<int64_t>{0, 3, 6, 9}));
  EXPECT_EQ(coarse.labels, (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(fine.num_classes, 100);
  EXPECT_EQ(fine.image(3)[0], 3);
}

TEST(Cifar, TruncatedRecordAndBadLabel) {
  TempDir dir;
  std::vector<uint8_t> b = cifar_records(2, false);
  b.resize(b.size() - 10);
  testing::write_file(dir / "t.bin", b);
  expect_throw_with([&] { load_cifar({dir / "t.bin"}, CifarKind::kCifar10); },
                    {dir / "t.bin", "offset 3073"});
  b = cifar_records(2, false);
  b[3073] = 10;
  testing::write_file(dir / "l.bin", b);
  expect_throw_with([&] { load_cifar({dir / "l.bin"}, CifarKind::kCifar10); },
                    {dir / "l.bin", "label 10", "offset 3073"});
  expect_throw_with([&] { load_cifar({dir / "none.bin"}, CifarKind::kCifar10); }, {"none.bin"});
}

}  // namespace
}  // namespace he::data
