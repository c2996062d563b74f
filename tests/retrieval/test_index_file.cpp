// Index files: round trips (mmap and read), truncation and corruption rejection.
#include <gtest/gtest.h>

#include <zlib.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include "retrieval/index_file.h"
#include "test_util.h"

using namespace he::retrieval;

namespace {

std::vector<char> slurp(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}
void dump(const std::string& p, const std::vector<char>& b) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(b.data(), static_cast<std::streamsize>(b.size()));
}
std::string load_error(const std::string& p) {
  try {
    load_index(p);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(IndexFile, RoundTripFlatAndMih) {
  const std::string path = ::testing::TempDir() + "/idx.bin";
  IndexContents c;
  c.kind = IndexKind::Mih;
  c.mih_substrings = 3;
  c.codes = he::retrieval::testing::random_codes(101, 100, 7);
  for (int i = 0; i < 101; ++i) c.ids.push_back(1000 + i), c.labels.push_back(i % 7);
  save_index(path, c);
  for (bool mm : {true, false}) {
    IndexContents d = load_index(path, mm);
    EXPECT_EQ(d.kind, IndexKind::Mih);
    EXPECT_EQ(d.mih_substrings, 3);
    EXPECT_EQ(d.codes, c.codes);
    EXPECT_EQ(d.ids, c.ids);
    EXPECT_EQ(d.labels, c.labels);
    EXPECT_TRUE(d.multi_labels.empty());
    EXPECT_EQ(reinterpret_cast<uintptr_t>(d.codes.data()) % 64, 0u);
  }
  IndexContents f;  // flat, multi-hot labels, no ids
  f.codes = he::retrieval::testing::random_codes(5, 64, 1);
  f.multi_labels = {1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0, 1, 1, 1};
  f.label_classes = 3;
  save_index(path, f);
  IndexContents g = load_index(path);
  EXPECT_EQ(g.kind, IndexKind::Flat);
  EXPECT_EQ(g.codes, f.codes);
  EXPECT_TRUE(g.ids.empty());
  EXPECT_EQ(g.multi_labels, f.multi_labels);
  EXPECT_EQ(g.label_classes, 3u);
  std::remove(path.c_str());
}

TEST(IndexFile, RejectsTruncationAndCorruption) {
  const std::string path = ::testing::TempDir() + "/idx_bad.bin";
  IndexContents c;
  c.codes = he::retrieval::testing::random_codes(50, 64, 3);
  for (int i = 0; i < 50; ++i) c.ids.push_back(i * 3);
  save_index(path, c);
  const std::vector<char> good = slurp(path);
  EXPECT_EQ(load_error(path), "");
  for (size_t cut : {size_t{0}, size_t{10}, size_t{63}, size_t{64}, size_t{300}, good.size() - 1}) {
    dump(path, std::vector<char>(good.begin(), good.begin() + cut));
    std::string e = load_error(path);
    EXPECT_NE(e.find("idx_bad.bin"), std::string::npos) << cut;
    EXPECT_NE(e, "") << cut;
  }
  auto with = [&](size_t pos) {
    auto b = good;
    b[pos] ^= 0x10;
    dump(path, b);
    return load_error(path);
  };
  EXPECT_NE(with(0).find("magic"), std::string::npos);
  EXPECT_NE(with(20).find("header checksum"), std::string::npos);
  EXPECT_NE(with(100).find("payload checksum"), std::string::npos);               // a code
  EXPECT_NE(with(good.size() - 20).find("payload checksum"), std::string::npos);  // an id
  EXPECT_NE(with(good.size() - 2).find("end marker"), std::string::npos);
  auto longer = good;
  longer.push_back(0);
  dump(path, longer);
  EXPECT_NE(load_error(path).find("trailing"), std::string::npos);
  std::remove(path.c_str());
  EXPECT_THROW(load_index(path), std::runtime_error);  // missing file
}

namespace {
// Fuzzer finding: an empty index whose header sets the ids flag copied zero bytes into an
// empty vector's null data() (memcpy with a null pointer: undefined behaviour, UBSan).
TEST(IndexFile, EmptyIndexWithIdsFlagParses) {
  const std::string path = ::testing::TempDir() + "/empty.heidx";
  IndexContents c;
  c.codes = PackedCodes(0, 70);
  save_index(path, c);
  std::vector<char> b = slurp(path);
  const uint32_t flags = 1;  // ids
  std::memcpy(b.data() + 32, &flags, 4);
  const uint32_t crc =
      static_cast<uint32_t>(crc32_z(0, reinterpret_cast<const Bytef*>(b.data()), 44));
  std::memcpy(b.data() + 44, &crc, 4);
  IndexContents got = parse_index(reinterpret_cast<const uint8_t*>(b.data()), b.size(), path, true);
  EXPECT_EQ(got.codes.size(), 0u);
  EXPECT_TRUE(got.ids.empty());
}
}  // namespace
