// Quantised index files: every kind round-trips (same contents, same search results) and a
// damaged file is rejected with an error naming the file and the problem.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "pq_test_data.h"
#include "retrieval/quant_index_file.h"

using namespace he::retrieval;
using he::retrieval::testing::mixture_rows;
namespace fs = std::filesystem;

namespace {

std::string tmp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("he_quant_" + std::to_string(::getpid()) + "_" + name))
      .string();
}
std::vector<uint8_t> read_all(const std::string& p) {
  std::ifstream f(p, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}
void expect_error(const std::vector<uint8_t>& b, const std::string& needle) {
  try {
    parse_quant_index(b.data(), b.size(), "bad.heq");
    FAIL() << "accepted a file that should fail with: " << needle;
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.heq"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}
// Re-seals both CRCs so a deliberate inconsistency reaches the layout checks.
void reseal(std::vector<uint8_t>& b) {
  uint32_t h = static_cast<uint32_t>(crc32_z(0, b.data(), 44));
  std::memcpy(b.data() + 44, &h, 4);
  uint32_t body = static_cast<uint32_t>(crc32_z(0, b.data() + 64, b.size() - 72));
  std::memcpy(b.data() + b.size() - 8, &body, 4);
}

const int64_t kN = 1200, kD = 16;
const std::vector<float>& data() {
  static const std::vector<float> x = mixture_rows(kN, kD, 10, 0.5f, 51);
  return x;
}

}  // namespace

TEST(RetrievalQuantIndexFile, PqKindsRoundTrip) {
  const std::string path = tmp_path("pq.heq");
  PqSearchOptions opt;
  opt.k = 7;
  for (auto [nbits, opq] : {std::pair{8, false}, std::pair{4, false}, std::pair{4, true}}) {
    PqIndex index = PqIndex::train(data().data(), kN, kD, 4, nbits, opq, 52);
    index.add(data().data(), kN);
    save_quant_index(path, contents_of(index));
    QuantIndexContents c = load_quant_index(path);
    EXPECT_EQ(c.kind, opq ? QuantKind::Opq : QuantKind::Pq);
    PqIndex back = pq_index_from(c);
    EXPECT_EQ(back.codes(), index.codes());
    EXPECT_EQ(back.rotation(), index.rotation());
    EXPECT_EQ(back.quantizer().centroids, index.quantizer().centroids);
    EXPECT_EQ(back.search(data().data(), 9, opt).ids, index.search(data().data(), 9, opt).ids);
  }
  fs::remove(path);
}

TEST(RetrievalQuantIndexFile, IvfPqAndFlatRoundTrip) {
  const std::string path = tmp_path("ivf.heq");
  IvfPqIndex index = IvfPqIndex::train(data().data(), kN, kD, 5, 4, 53);
  index.add(data().data(), kN);
  save_quant_index(path, contents_of(index));
  IvfPqIndex back = ivfpq_index_from(load_quant_index(path));
  PqSearchOptions opt;
  opt.k = 7, opt.nprobe = 2;
  FloatKnnResult a = index.search(data().data(), 9, opt), b = back.search(data().data(), 9, opt);
  EXPECT_EQ(a.ids, b.ids);
  EXPECT_EQ(a.scores, b.scores);
  QuantIndexContents flat;
  flat.kind = QuantKind::Flat, flat.d = kD, flat.n = kN, flat.vectors = data();
  save_quant_index(path, flat);
  EXPECT_TRUE(is_quant_index_file(path));
  EXPECT_EQ(load_quant_index(path).vectors, data());
  fs::remove(path);
}

TEST(RetrievalQuantIndexFile, DamagedFilesAreRejected) {
  const std::string path = tmp_path("bad.heq");
  IvfPqIndex index = IvfPqIndex::train(data().data(), kN, kD, 5, 4, 54);
  index.add(data().data(), kN);
  save_quant_index(path, contents_of(index));
  const std::vector<uint8_t> good = read_all(path);
  fs::remove(path);
  EXPECT_NO_THROW(parse_quant_index(good.data(), good.size(), "bad.heq"));
  expect_error(std::vector<uint8_t>(good.begin(), good.begin() + 40), "truncated");
  expect_error(std::vector<uint8_t>(good.begin(), good.end() - 1), "truncated");
  auto b = good;
  b[0] = 'X';
  expect_error(b, "bad magic");
  b = good, b[16] ^= 1;
  expect_error(b, "header checksum");
  b = good, b[200] ^= 1;
  expect_error(b, "payload checksum");
  b = good, b[8] = 2, reseal(b);
  expect_error(b, "unsupported version");
  b = good, b[20] = 3, reseal(b);  // m = 3 does not divide d = 16
  expect_error(b, "does not divide");
  b = good, b[24] = 4, reseal(b);  // IVF-PQ with 4-bit codes
  expect_error(b, "8-bit");
  b = good, b.push_back(0), reseal(b);
  expect_error(b, "trailing bytes");
  // The last id (just before the n*m code bytes and the trailer) set to n.
  b = good;
  const int64_t bad_id = kN;
  std::memcpy(b.data() + b.size() - 8 - kN * 4 - 8, &bad_id, 8);
  reseal(b);
  expect_error(b, "outside [0, n)");
  // The first list size grown by one: the sizes no longer sum to n.
  b = good;
  int64_t s0;
  const size_t sizes_at = 64 + (5 * kD + 256 * kD) * 4;
  std::memcpy(&s0, b.data() + sizes_at, 8);
  ++s0;
  std::memcpy(b.data() + sizes_at, &s0, 8);
  reseal(b);
  expect_error(b, "sum to");
  // A NaN in the first coarse centroid.
  b = good;
  const float nan = std::nanf("");
  std::memcpy(b.data() + 64, &nan, 4);
  reseal(b);
  expect_error(b, "not finite");
  EXPECT_THROW(load_quant_index(tmp_path("missing.heq")), std::runtime_error);
}

TEST(RetrievalQuantIndexFile, FourBitCodeOutOfRangeIsRejected) {
  const std::string path = tmp_path("pq4.heq");
  PqIndex index = PqIndex::train(data().data(), kN, kD, 4, 4, false, 55);
  index.add(data().data(), 40);
  save_quant_index(path, contents_of(index));
  auto b = read_all(path);
  fs::remove(path);
  b[b.size() - 9] = 16;  // the last code byte
  reseal(b);
  expect_error(b, ">= 2^nbits");
}
