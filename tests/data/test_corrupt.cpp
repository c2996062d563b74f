// Every prefix and many byte flips of small valid files: each read either succeeds or throws
// std::runtime_error naming the file; never a crash (run under ASan/UBSan to catch OOB).
#include <gtest/gtest.h>
#include <stb_image_write.h>

#include <fstream>

#include "data/test_util.h"
#include "engine/data/cifar.h"
#include "engine/data/idx.h"
#include "engine/data/image_decode.h"
#include "engine/data/image_folder.h"
#include "engine/random.h"

namespace he::data {
namespace {
using testing::TempDir;

std::vector<uint8_t> read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

// fn(path) on every prefix of `bytes` shorter than the whole: must throw naming the file.
void every_prefix_throws(const TempDir& dir, const std::vector<uint8_t>& bytes, size_t step,
                         const std::function<void(const std::string&)>& fn) {
  const std::string path = dir / "prefix.bin";
  for (size_t len = 0; len < bytes.size(); len += step) {
    testing::write_file(path, std::vector<uint8_t>(bytes.begin(), bytes.begin() + len));
    try {
      fn(path);
      ADD_FAILURE() << "prefix of " << len << " bytes accepted";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
}

// fn(path) on `rounds` copies of `bytes` with one random byte of the first `span` changed.
void flips_are_safe(const TempDir& dir, const std::vector<uint8_t>& bytes, size_t span, int rounds,
                    const std::function<void(const std::string&)>& fn) {
  Generator gen(3);
  const std::string path = dir / "flip.bin";
  for (int r = 0; r < rounds; ++r) {
    std::vector<uint8_t> b = bytes;
    b[gen.below(std::min(span, b.size()))] ^= static_cast<uint8_t>(1 + gen.below(255));
    testing::write_file(path, b);
    try {
      fn(path);
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  }
}

TEST(Corrupt, IdxPrefixesAndHeaderFlips) {
  TempDir dir;
  std::vector<uint8_t> img = testing::idx_images(3, 5, 4), lab = testing::idx_labels(3, 2);
  auto read_img = [](const std::string& p) { read_idx_images(p); };
  auto read_lab = [](const std::string& p) { read_idx_labels(p); };
  every_prefix_throws(dir, img, 1, read_img);
  every_prefix_throws(dir, lab, 1, read_lab);
  flips_are_safe(dir, img, 16, 200, read_img);
  flips_are_safe(dir, lab, 8, 100, read_lab);
  testing::write_gzip(dir / "i.gz", img);
  std::vector<uint8_t> gz = read_all(dir / "i.gz");
  every_prefix_throws(dir, gz, 1, read_img);
  flips_are_safe(dir, gz, gz.size(), 200, read_img);
}

TEST(Corrupt, CifarPrefixes) {
  TempDir dir;
  std::vector<uint8_t> rec(2 * 3073, 1);
  every_prefix_throws(dir, rec, 97, [](const std::string& p) {
    if (load_cifar({p}, CifarKind::kCifar10).n != 2) throw std::runtime_error(p + ": short");
  });
}

TEST(Corrupt, ImagePrefixesAndFlips) {
  TempDir dir;
  std::vector<uint8_t> px(16 * 12 * 3);
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(i * 13);
  ASSERT_TRUE(stbi_write_png((dir / "a.png").c_str(), 12, 16, 3, px.data(), 36));
  ASSERT_TRUE(stbi_write_jpg((dir / "a.jpg").c_str(), 12, 16, 3, px.data(), 90));
  ASSERT_TRUE(stbi_write_bmp((dir / "a.bmp").c_str(), 12, 16, 3, px.data()));
  auto decode = [](const std::string& p) {
    decode_image(p, {.channels = 3, .height = 8, .width = 8});
  };
  std::vector<uint8_t> png = read_all(dir / "a.png");
  decode(dir / "a.png");
  every_prefix_throws(dir, png, 7, decode);
  flips_are_safe(dir, png, png.size(), 100, decode);
  // stb decodes a JPEG or BMP cut after its header (the missing data reads as 0), so for
  // those only check that nothing crashes or reads out of bounds.
  for (const char* name : {"a.jpg", "a.bmp"}) {
    std::vector<uint8_t> b = read_all(dir / name);
    decode(dir / name);
    flips_are_safe(dir, b, b.size(), 150, decode);
    for (size_t len = 0; len < b.size(); len += 11) {
      testing::write_file(dir / "cut.bin", std::vector<uint8_t>(b.begin(), b.begin() + len));
      try {
        decode(dir / "cut.bin");
      } catch (const std::runtime_error&) {
      }
    }
  }
}

TEST(Corrupt, JpegHuffmanTableWithTooManyCodesIsRejected) {
  TempDir dir;
  std::vector<uint8_t> px(16 * 16 * 3, 100);
  ASSERT_TRUE(stbi_write_jpg((dir / "a.jpg").c_str(), 16, 16, 3, px.data(), 90));
  std::vector<uint8_t> b = read_all(dir / "a.jpg");
  size_t dht = 0;
  for (size_t i = 2; i + 1 < b.size() && !dht; ++i)
    if (b[i] == 0xFF && b[i + 1] == 0xC4) dht = i;
  ASSERT_GT(dht, 0u);
  for (int k = 0; k < 16; ++k) b[dht + 5 + k] = 255;  // 16 x 255 codes in the first table
  testing::write_file(dir / "evil.jpg", b);
  testing::expect_throw_with([&] { decode_image(dir / "evil.jpg", {}); }, {"evil.jpg", "Huffman"});
}

TEST(Corrupt, CacheFlipsRebuildOrMatch) {
  TempDir dir;
  std::vector<uint8_t> px(6 * 5 * 3, 9);
  ASSERT_TRUE(std::filesystem::create_directories(dir.path() / "root/k"));
  ASSERT_TRUE(stbi_write_png((dir / "root/k/a.png").c_str(), 5, 6, 3, px.data(), 15));
  ASSERT_TRUE(stbi_write_png((dir / "root/k/b.png").c_str(), 5, 6, 3, px.data(), 15));
  LoadImagesOptions opts;
  opts.cache_path = dir / "cache.bin";
  const ImageSet ref = load_image_folder(dir / "root", opts);
  const std::vector<uint8_t> good = read_all(opts.cache_path);
  Generator gen(11);
  int hits = 0;
  for (int r = 0; r < 150; ++r) {
    std::vector<uint8_t> b = good;
    b[gen.below(b.size())] ^= static_cast<uint8_t>(1 + gen.below(255));
    if (r % 10 == 0) b.resize(gen.below(b.size()));
    testing::write_file(opts.cache_path, b);
    LoadReport rep;
    ImageSet s = load_image_folder(dir / "root", opts, &rep);
    hits += rep.cache_hit;  // a flipped pixel byte is not detected: the header is checked
    ASSERT_EQ(s.n, 2);
    EXPECT_EQ(s.labels, ref.labels);
  }
  EXPECT_LT(hits, 150);
}

// The message decode_image_bytes throws for `bytes` read as `name` (a test failure and "" if
// it accepts them).
std::string decode_rejection(const std::vector<uint8_t>& bytes, const std::string& name) {
  try {
    decode_image_bytes(bytes, name, DecodeOptions{});
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  ADD_FAILURE() << name << ": expected a rejection";
  return "";
}

}  // namespace
}  // namespace he::data

namespace he::data {
namespace {
// Fuzzer finding: stb_image 2.27 decodes a PNM header with a zero height to an empty image,
// and resizing it computed a NaN scale (UBSan: float-to-int overflow inside stb_image_resize).
TEST(Corrupt, ZeroSizedPnmIsRejected) {
  for (const std::string header : {"P5 5 0 255\n", "P5 0 5 255\n", "P6 0 0 255\n"}) {
    const std::vector<uint8_t> bytes(header.begin(), header.end());
    DecodeOptions o;
    o.channels = 1, o.height = 16, o.width = 16;
    EXPECT_THROW(decode_image_bytes(bytes, "zero.pgm", o), std::runtime_error) << header;
  }
}
// Fuzzer finding: stb_image 2.27 overflows an int reading a PNM field of many digits
// (UBSan: signed integer overflow inside stb_image.h).
TEST(Corrupt, PnmFieldOfManyDigitsIsRejected) {
  const std::string pgm = "P5 # comment 123456789012\n 2888888888888 2 255\n";
  const std::vector<uint8_t> bytes(pgm.begin(), pgm.end());
  EXPECT_THROW(decode_image_bytes(bytes, "long.pgm", DecodeOptions{}), std::runtime_error);
}
}  // namespace
}  // namespace he::data

namespace he::data {
namespace {
// Fuzzer finding: an IDX3 header of 0 x 4294965246 x 0 ... (no data needed) was accepted, and
// n * rows * cols overflowed int64 downstream (UBSan in the fuzz target's own check).
TEST(Corrupt, IdxImagesOfAbsurdSizeAreRejected) {
  const std::vector<uint8_t> b = {0,    0,    8,    3,    0xfc, 0xff, 0xf7, 0xfc,
                                  0xff, 0xff, 0xf7, 0xfe, 0,    0,    0,    0};
  EXPECT_THROW(parse_idx_images(b, "huge.idx"), std::runtime_error);
  const std::vector<uint8_t> empty = {0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28};
  EXPECT_EQ(parse_idx_images(empty, "empty.idx").n, 0);
}
}  // namespace
}  // namespace he::data

namespace he::data {
namespace {
// fuzz_image found stb 2.27 calling memcpy(NULL, src, 0) on a zero-length IDAT chunk.
TEST(Corrupt, PngWithAnEmptyIdatChunkIsRejected) {
  const std::vector<uint8_t> png{0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00,
                                 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x05,
                                 0x00, 0x00, 0x00, 0x04, 0x08, 0x02, 0x00, 0x00, 0x00, 0x01,
                                 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x49, 0x44, 0x41,
                                 0x54, 0x78, 0x44, 0xbe, 0xae, 0x42, 0x60, 0x82};
  const std::string what = decode_rejection(png, "empty_idat.png");
  EXPECT_NE(what.find("empty_idat.png"), std::string::npos) << what;
}
}  // namespace
}  // namespace he::data

namespace he::data {
namespace {
// fuzz_image found stb 2.27 reading past its buffer when converting a truncated 16-bit PNM.
TEST(Corrupt, TruncatedSixteenBitPnmIsRejected) {
  const std::string text = "P6  2 25222 25222";
  const std::vector<uint8_t> pnm(text.begin(), text.end());
  EXPECT_THROW(decode_image_bytes(pnm, "short.ppm", DecodeOptions{}), std::runtime_error);
  std::string ok = "P5 2 1 65535\n";
  ok += std::string(4, '\x10');  // 2 x 1 pixels of 2 bytes: complete
  const std::vector<uint8_t> full(ok.begin(), ok.end());
  DecodeOptions grey;
  grey.channels = 1;
  EXPECT_EQ(decode_image_bytes(full, "full.pgm", grey).pixels.size(), 2u);
}

// fuzz_image: stb 2.27 converted a 16-bit grey PNM to RGB with its 8-bit converter and read
// past the result (and took the low byte of each big-endian sample); PNM is decoded here now.
TEST(Corrupt, SixteenBitPnmConvertsChannelsInBounds) {
  std::string pgm = "P5 2 1 65535\n";
  pgm += std::string("\x12\x34\xab\x00", 4);  // big-endian samples 0x1234, 0xab00
  const std::vector<uint8_t> grey16(pgm.begin(), pgm.end());
  DecodeOptions rgb;
  rgb.channels = 3;
  // 0x1234 * 255 / 65535 rounds to 0x12, 0xab00 to 0xaa; CHW: three planes of two pixels.
  EXPECT_EQ(decode_image_bytes(grey16, "grey16.pgm", rgb).pixels,
            (std::vector<uint8_t>{0x12, 0xaa, 0x12, 0xaa, 0x12, 0xaa}));
  std::string dim = "P5 1 1 15\n\x0f";  // maximum value 15: 15 is white
  EXPECT_EQ(decode_image_bytes(std::vector<uint8_t>(dim.begin(), dim.end()), "dim.pgm", rgb).pixels,
            (std::vector<uint8_t>{255, 255, 255}));
  std::string ppm = "P6 1 1 255\n";
  ppm += std::string("\x64\xc8\x32", 3);  // (100, 200, 50) -> (77*100 + 150*200 + 29*50) >> 8
  const std::vector<uint8_t> rgb8(ppm.begin(), ppm.end());
  DecodeOptions grey;
  grey.channels = 1;
  EXPECT_EQ(decode_image_bytes(rgb8, "rgb8.ppm", grey).pixels, (std::vector<uint8_t>{152}));
}
}  // namespace
}  // namespace he::data

namespace he::data {
namespace {
// fuzz_image: 0xFF fill bytes before SOI hid an oversized Huffman table from the JPEG check.
TEST(Corrupt, JpegHuffmanCheckSeesPastLeadingFillBytes) {
  std::vector<uint8_t> jpeg(24, 0xFF);
  const std::vector<uint8_t> rest{0xD8, 0xFF, 0xC4, 0x00, 0x20, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                  0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
  jpeg.insert(jpeg.end(), rest.begin(), rest.end());
  const std::string what = decode_rejection(jpeg, "fill.jpg");
  EXPECT_NE(what.find("Huffman"), std::string::npos) << what;
}
}  // namespace
}  // namespace he::data

namespace he::data {
namespace {
// fuzz_image found stb 2.27 growing its IDAT buffer to a chunk's claimed length (2 GiB) before
// finding the data missing; a chunk longer than the rest of the file is rejected first.
TEST(Corrupt, PngChunkLongerThanTheFileIsRejected) {
  const std::vector<uint8_t> png{0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00,
                                 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x05,
                                 0x00, 0x00, 0x00, 0x04, 0x08, 0x02, 0x00, 0x00, 0x00, 0xc9,
                                 0x51, 0x62, 0x17, 0x40, 0x00, 0x00, 0x00, 0x49, 0x44, 0x41,
                                 0x54, 0x78, 0x5e, 0x63, 0x08, 0x02, 0x00};
  const std::string what = decode_rejection(png, "long_idat.png");
  EXPECT_NE(what.find("long_idat.png"), std::string::npos) << what;
  EXPECT_NE(what.find("longer than the rest of the file"), std::string::npos) << what;
}
}  // namespace
}  // namespace he::data
