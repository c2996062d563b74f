#include <gtest/gtest.h>
#include <stb_image_write.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "data/test_util.h"
#include "engine/data/image_cache.h"
#include "engine/data/image_folder.h"

namespace he::data {
namespace {
using testing::expect_throw_with;
using testing::TempDir;

// RGB image h x w (HWC) with pixel (y, x) = (seed + 10 x, seed + 10 y, 200 - seed).
std::vector<uint8_t> rgb(int h, int w, int seed) {
  std::vector<uint8_t> px;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      px.push_back(static_cast<uint8_t>(seed + 10 * x));
      px.push_back(static_cast<uint8_t>(seed + 10 * y));
      px.push_back(static_cast<uint8_t>(200 - seed));
    }
  return px;
}

void write_png(const std::string& path, int h, int w, int seed) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::vector<uint8_t> px = rgb(h, w, seed);
  ASSERT_TRUE(stbi_write_png(path.c_str(), w, h, 3, px.data(), w * 3));
}

void write_jpg(const std::string& path, int h, int w, int seed) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::vector<uint8_t> px = rgb(h, w, seed);
  ASSERT_TRUE(stbi_write_jpg(path.c_str(), w, h, 3, px.data(), 95));
}

// root/cat/{a.png,b.jpg}, root/ant/c.png: classes sorted -> ant = 0, cat = 1.
void make_folder(const TempDir& dir) {
  write_png(dir / "root/cat/a.png", 8, 6, 10);
  write_jpg(dir / "root/cat/b.jpg", 8, 6, 20);
  write_png(dir / "root/ant/c.png", 8, 6, 30);
}

TEST(ImageFolder, DecodesPngAndJpegInFileOrder) {
  TempDir dir;
  make_folder(dir);
  LoadImagesOptions opts;
  opts.threads = 3;
  ImageSet s = load_image_folder(dir / "root", opts);
  EXPECT_EQ(s.n, 3);
  EXPECT_EQ(s.c, 3);
  EXPECT_EQ(s.h, 8);
  EXPECT_EQ(s.w, 6);
  EXPECT_EQ(s.labels, (std::vector<int64_t>{0, 1, 1}));
  EXPECT_EQ(s.num_classes, 2);
  // Image 0 is ant/c.png (lossless): channel 0 at (y 2, x 5) = 30 + 50, channel 1 = 30 + 20.
  EXPECT_EQ(s.image(0)[0 * 48 + 2 * 6 + 5], 80);
  EXPECT_EQ(s.image(0)[1 * 48 + 2 * 6 + 5], 50);
  EXPECT_EQ(s.image(0)[2 * 48 + 7 * 6 + 0], 170);
  // Image 2 is the JPEG (lossy): close to the original.
  EXPECT_NEAR(s.image(2)[0 * 48 + 3 * 6 + 3], 50, 6);
}

TEST(ImageFolder, GreyAndResize) {
  TempDir dir;
  make_folder(dir);
  LoadImagesOptions opts;
  opts.decode = {.channels = 1, .height = 4, .width = 3};
  ImageSet s = load_image_folder(dir / "root", opts);
  EXPECT_EQ(s.c, 1);
  EXPECT_EQ(s.h, 4);
  EXPECT_EQ(s.w, 3);
  EXPECT_EQ(s.pixels.size(), 3u * 4 * 3);
}

TEST(ImageDecode, GifFirstFrameAndBmp) {
  TempDir dir;
  // A hand-made 1x1 GIF87a: palette {white, black}, LZW codes clear, 0, end.
  testing::write_file(dir / "w.gif", {'G', 'I',  'F',  '8',  '7', 'a', 1, 0,    1,    0, 0x80, 0,
                                      0,   0xFF, 0xFF, 0xFF, 0,   0,   0, 0x2C, 0,    0, 0,    0,
                                      1,   0,    1,    0,    0,   2,   2, 0x44, 0x01, 0, 0x3B});
  DecodedImage g = decode_image(dir / "w.gif", {.channels = 1});
  EXPECT_EQ(g.h, 1);
  EXPECT_EQ(g.w, 1);
  EXPECT_EQ(g.pixels, (std::vector<uint8_t>{255}));
  std::vector<uint8_t> px = rgb(3, 2, 40);
  ASSERT_TRUE(stbi_write_bmp((dir / "a.bmp").c_str(), 2, 3, 3, px.data()));
  DecodedImage b = decode_image(dir / "a.bmp", {});
  EXPECT_EQ(b.c, 3);
  EXPECT_EQ(b.pixels[0 * 6 + 2 * 2 + 1], 50);  // channel 0 at (y 2, x 1)
  EXPECT_EQ(b.pixels[1 * 6 + 2 * 2 + 1], 60);  // channel 1
}

TEST(ImageFolder, DifferentSizesWithoutResizeNameTheFile) {
  TempDir dir;
  make_folder(dir);
  write_png(dir / "root/cat/z.png", 5, 5, 0);
  expect_throw_with([&] { load_image_folder(dir / "root", {}); }, {"z.png", "5x5"});
}

TEST(ListFile, MultiHotLabelsRelativeToRoot) {
  TempDir dir;
  make_folder(dir);
  testing::write_text(dir / "list.txt",
                      "cat/a.png 1 0 1 0\n\nant/c.png 0 1 0 0\r\ncat/b.jpg 0 0 0 1\n");
  ImageSet s = load_list_file(dir / "list.txt", dir / "root", {});
  EXPECT_EQ(s.n, 3);
  EXPECT_EQ(s.num_classes, 4);
  EXPECT_TRUE(s.labels.empty());
  EXPECT_EQ(s.multi_hot, (std::vector<uint8_t>{1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(s.image(1)[2 * 6 + 5], 80);  // ant/c.png second
}

TEST(ListFile, WrongLabelCountNamesFileAndLine) {
  TempDir dir;
  testing::write_text(dir / "list.txt", "a.png 1 0 1\nb.png 0 1\n");
  expect_throw_with([&] { read_list_file(dir / "list.txt", dir / "root"); },
                    {dir / "list.txt" + ":2", "2 labels, expected 3"});
  testing::write_text(dir / "bad.txt", "a.png 1 0 2\n");
  expect_throw_with([&] { read_list_file(dir / "bad.txt", dir / "root"); },
                    {dir / "bad.txt" + ":1", "'2'"});
  expect_throw_with([&] { read_list_file(dir / "missing.txt", dir / "root"); }, {"missing.txt"});
}

TEST(ImageFolder, UndecodableFailsOrIsSkipped) {
  TempDir dir;
  make_folder(dir);
  testing::write_text(dir / "root/cat/broken.png", "this is not a png");
  expect_throw_with([&] { load_image_folder(dir / "root", {}); }, {"broken.png", "cannot decode"});
  LoadImagesOptions opts;
  opts.skip_undecodable = true;
  LoadReport rep;
  ImageSet s = load_image_folder(dir / "root", opts, &rep);
  EXPECT_EQ(rep.skipped, 1);
  ASSERT_EQ(rep.skipped_files.size(), 1u);
  EXPECT_NE(rep.skipped_files[0].find("broken.png"), std::string::npos);
  EXPECT_EQ(s.n, 3);
  EXPECT_EQ(s.labels, (std::vector<int64_t>{0, 1, 1}));
  // With a fixed size the rows after a skipped file move up: ant/a_bad.png comes first.
  testing::write_text(dir / "root/ant/a_bad.png", "junk");
  opts.decode = {.channels = 3, .height = 8, .width = 6};
  ImageSet f = load_image_folder(dir / "root", opts, &rep);
  EXPECT_EQ(rep.skipped, 2);
  ASSERT_EQ(f.n, 3);
  EXPECT_EQ(f.pixels.size(), 3u * 3 * 8 * 6);
  EXPECT_EQ(f.image(0)[2 * 6 + 5], 80);  // ant/c.png
  EXPECT_EQ(f.image(1)[2 * 6 + 5], 60);  // cat/a.png
}

TEST(ImageCache, SecondLoadMapsStaleAndCorruptRebuild) {
  TempDir dir;
  make_folder(dir);
  LoadImagesOptions opts;
  opts.decode = {.channels = 3, .height = 7, .width = 5};
  opts.cache_path = dir / "cache.bin";
  LoadReport rep;
  ImageSet first = load_image_folder(dir / "root", opts, &rep);
  EXPECT_FALSE(rep.cache_hit);
  ImageSet second = load_image_folder(dir / "root", opts, &rep);
  EXPECT_TRUE(rep.cache_hit);
  ASSERT_TRUE(second.mapping);
  EXPECT_TRUE(second.pixels.empty());
  EXPECT_EQ(second.n, first.n);
  EXPECT_EQ(second.labels, first.labels);
  EXPECT_TRUE(std::equal(first.data(), first.data() + first.n * first.image_size(), second.data()));
  // Other options -> other key -> rebuilt.
  LoadImagesOptions grey = opts;
  grey.decode.channels = 1;
  load_image_folder(dir / "root", grey, &rep);
  EXPECT_FALSE(rep.cache_hit);
  load_image_folder(dir / "root", opts, &rep);  // rewrites the RGB cache
  EXPECT_FALSE(rep.cache_hit);
  // A changed file (new size and mtime) makes the cache stale.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  write_png(dir / "root/ant/c.png", 9, 9, 31);
  load_image_folder(dir / "root", opts, &rep);
  EXPECT_FALSE(rep.cache_hit);
  load_image_folder(dir / "root", opts, &rep);
  EXPECT_TRUE(rep.cache_hit);
  // A truncated cache file is rebuilt; so is a flipped header byte.
  std::filesystem::resize_file(opts.cache_path, std::filesystem::file_size(opts.cache_path) - 1);
  load_image_folder(dir / "root", opts, &rep);
  EXPECT_FALSE(rep.cache_hit);
  {
    std::fstream f(opts.cache_path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(30);
    f.put('\x7f');
  }
  load_image_folder(dir / "root", opts, &rep);
  EXPECT_FALSE(rep.cache_hit);
  ImageSet again = load_image_folder(dir / "root", opts, &rep);
  EXPECT_TRUE(rep.cache_hit);
  EXPECT_EQ(again.n, 3);
}

TEST(ImageCache, KeepsSkippedRowsOut) {
  TempDir dir;
  make_folder(dir);
  testing::write_text(dir / "root/ant/bad.png", "junk");
  LoadImagesOptions opts;
  opts.skip_undecodable = true;
  opts.cache_path = dir / "c.bin";
  LoadReport rep;
  ImageSet a = load_image_folder(dir / "root", opts, &rep);
  ImageSet b = load_image_folder(dir / "root", opts, &rep);
  EXPECT_TRUE(rep.cache_hit);
  EXPECT_EQ(rep.skipped, 1);
  EXPECT_EQ(a.labels, (std::vector<int64_t>{0, 1, 1}));
  EXPECT_EQ(b.labels, a.labels);
}

}  // namespace
}  // namespace he::data
