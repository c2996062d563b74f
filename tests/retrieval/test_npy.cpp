// .npy reading/writing: round trips, numpy-written headers, every malformed-file rejection.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>

#include "retrieval/npy.h"
#include "test_util.h"

using namespace he::retrieval;

namespace {

std::vector<uint8_t> image(const std::string& header, size_t data_bytes, int major = 1) {
  std::string h = header;
  const size_t pre = major == 1 ? 10 : 12;
  while ((pre + h.size() + 1) % 64) h += ' ';
  h += '\n';
  std::vector<uint8_t> out = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  for (size_t b = 0; b < (major == 1 ? 2u : 4u); ++b) out.push_back((h.size() >> (8 * b)) & 0xFF);
  out.insert(out.end(), h.begin(), h.end());
  for (size_t i = 0; i < data_bytes; ++i) out.push_back(static_cast<uint8_t>(i));
  return out;
}

std::string reject(const std::vector<uint8_t>& img) {
  try {
    parse_npy(img.data(), img.size(), "bad.npy");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Npy, RoundTripEveryDtype) {
  const std::string path = ::testing::TempDir() + "/rt.npy";
  for (std::string dt : {"bool", "u1", "i1", "i4", "i8", "f4", "f8"}) {
    for (std::vector<int64_t> shape : {std::vector<int64_t>{}, {0}, {7}, {3, 5}, {2, 3, 4}}) {
      NpyArray a{dt, shape, {}};
      a.bytes.resize(a.count() * a.item_size());
      for (size_t i = 0; i < a.bytes.size(); ++i) a.bytes[i] = dt == "bool" ? i % 2 : i * 37;
      write_npy(path, a);
      NpyArray b = read_npy(path);
      EXPECT_EQ(b.dtype, dt);
      EXPECT_EQ(b.shape, shape);
      EXPECT_EQ(b.bytes, a.bytes);
    }
  }
  std::remove(path.c_str());
}

TEST(Npy, WritesVersion1AlignedAndVersion2ForHugeHeaders) {
  NpyArray a = npy_from({2, 2}, std::vector<float>{1, 2, 3, 4}.data());
  std::vector<uint8_t> img = encode_npy(a);
  EXPECT_EQ(img[6], 1);
  size_t hl = img[8] | (img[9] << 8);
  EXPECT_EQ((10 + hl) % 64, 0u);
  const std::string expect = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }";
  EXPECT_EQ(std::string(img.begin() + 10, img.begin() + 10 + expect.size()), expect);
  NpyArray big{"u1", std::vector<int64_t>(30000, 1), {0}};  // 30000-D: header > 64 KiB
  std::vector<uint8_t> img2 = encode_npy(big);
  EXPECT_EQ(img2[6], 2);
  NpyArray back = parse_npy(img2.data(), img2.size(), "v2");
  EXPECT_EQ(back.shape.size(), 30000u);
}

TEST(Npy, ReadsNumpyStyleHeaders) {
  // As numpy writes them: version 1.0 and 2.0, 1-D tuple with trailing comma, '<i8', '|b1'.
  auto img1 = image("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", 24);
  auto a = parse_npy(img1.data(), img1.size(), "x");
  EXPECT_EQ(a.dtype, "i8");
  EXPECT_EQ(a.shape, std::vector<int64_t>{3});
  auto img = image("{'descr': '|b1', 'fortran_order': False, 'shape': (2, 3), }", 6, 2);
  auto b = parse_npy(img.data(), img.size(), "x");
  EXPECT_EQ(b.dtype, "bool");
  EXPECT_EQ(b.shape, (std::vector<int64_t>{2, 3}));
  auto img3 = image("{\"descr\":\"<f8\",\"fortran_order\":False,\"shape\":()}", 8);
  EXPECT_EQ(parse_npy(img3.data(), img3.size(), "x").count(), 1);
}

TEST(Npy, RejectsMalformedFiles) {
  const std::string ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }";
  EXPECT_EQ(reject(image(ok, 16)), "");
  EXPECT_NE(reject(image(ok, 15)).find("truncated"), std::string::npos);
  EXPECT_NE(reject(image(ok, 17)).find("trailing"), std::string::npos);
  EXPECT_NE(reject(image("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16))
                .find("Fortran"),
            std::string::npos);
  EXPECT_NE(reject(image("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }", 16))
                .find("big-endian"),
            std::string::npos);
  EXPECT_NE(
      reject(image("{'descr': '|O', 'fortran_order': False, 'shape': (2, 2), }", 16)).find("dtype"),
      std::string::npos);
  EXPECT_NE(
      reject(image("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", 16)).find("dtype"),
      std::string::npos);
  EXPECT_NE(reject(image("{'descr': '<f4', 'shape': (2, 2), }", 16)).find("lacks"),
            std::string::npos);
  EXPECT_NE(reject(image("{'descr': '<f4, 'fortran_order': False, 'shape': (2, 2), }", 16)), "");
  EXPECT_NE(reject(image("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -2), }", 16)), "");
  EXPECT_NE(reject(image("{'descr': '<f4', 'fortran_order': False, 'shape': "
                         "(4294967296, 4294967296, 4294967296), }",
                         16)),
            "");
  EXPECT_NE(reject(image("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), ", 16)), "");
  auto v9 = image(ok, 16);
  v9[6] = 9;
  EXPECT_NE(reject(v9).find("version"), std::string::npos);
  auto magic = image(ok, 16);
  magic[1] = 'X';
  EXPECT_NE(reject(magic).find("magic"), std::string::npos);
  auto hl = image(ok, 16);
  hl[8] = 0xFF, hl[9] = 0xFF;  // header length beyond the end of the file
  EXPECT_NE(reject(hl).find("past the end"), std::string::npos);
  // Every truncation of a valid file is rejected, never read out of bounds.
  auto full = image(ok, 16);
  for (size_t cut = 0; cut < full.size(); ++cut)
    EXPECT_NE(reject(std::vector<uint8_t>(full.begin(), full.begin() + cut)), "") << cut;
  EXPECT_THROW(read_npy("/nonexistent/x.npy"), std::runtime_error);
  // The message names the file.
  EXPECT_NE(reject(image(ok, 15)).find("bad.npy"), std::string::npos);
}

TEST(Npy, CodesFromArrays) {
  using he::retrieval::testing::random_codes;
  PackedCodes c = random_codes(9, 20, 3);
  // packbits layout round trip (20 bits -> 3 bytes, low 4 bits of the last byte zero)
  NpyArray p = codes_to_npy(c);
  EXPECT_EQ(p.shape, (std::vector<int64_t>{9, 3}));
  EXPECT_EQ(codes_from_npy(p, "p", 20), c);
  EXPECT_EQ(codes_from_npy(p, "p").bits(), 24);
  // Bit 0 of a code is the most significant bit of byte 0.
  PackedCodes one(1, 16);
  one.set_bit(0, 0, true);
  one.set_bit(0, 9, true);
  EXPECT_EQ(to_bytes(one), (std::vector<uint8_t>{0x80, 0x40}));
  // +-1 float, 0/1 int8, 0/1 float, and sign(0) = +1 for real-valued floats
  std::vector<float> pm = unpack_signs(c);
  EXPECT_EQ(codes_from_npy(npy_from({9, 20}, pm.data()), "pm"), c);
  std::vector<uint8_t> b01(pm.size());
  for (size_t i = 0; i < pm.size(); ++i) b01[i] = pm[i] > 0;
  NpyArray i1{"i1", {9, 20}, b01};
  EXPECT_EQ(codes_from_npy(i1, "i1"), c);
  std::vector<float> f01(b01.begin(), b01.end());
  EXPECT_EQ(codes_from_npy(npy_from({9, 20}, f01.data()), "f01"), c);
  std::vector<float> real = {0.0f, -0.5f, 2.0f};
  PackedCodes s = codes_from_npy(npy_from({1, 3}, real.data()), "real");
  EXPECT_TRUE(s.bit(0, 0));
  EXPECT_FALSE(s.bit(0, 1));
  EXPECT_TRUE(s.bit(0, 2));
  EXPECT_THROW(codes_from_npy(p, "p", 30), std::runtime_error);
  EXPECT_THROW(codes_from_npy(npy_from({9}, f01.data()), "1d"), std::runtime_error);
  std::vector<uint8_t> bad = {0x01};  // bit beyond the code length set
  EXPECT_THROW(from_bytes(bad.data(), 1, 7), std::invalid_argument);
}

TEST(Codes, PackSignsAndWordLayout) {
  std::vector<double> x(130, -1.0);
  x[0] = 0.0;    // sign(0) = +1
  x[63] = 1.0;   // top bit of word 0
  x[64] = 3.0;   // bit 0 of word 1
  x[129] = 0.5;  // bit 1 of word 2
  PackedCodes c = pack_signs(x.data(), 1, 130);
  ASSERT_EQ(c.words_per_code(), 3u);
  EXPECT_EQ(c.row(0)[0], (uint64_t{1} << 63) | 1u);
  EXPECT_EQ(c.row(0)[1], 1u);
  EXPECT_EQ(c.row(0)[2], 2u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(c.data()) % 64, 0u);
  std::vector<float> u = unpack_signs(c);
  EXPECT_EQ(u[0], 1.0f);
  EXPECT_EQ(u[1], -1.0f);
  EXPECT_EQ(u[129], 1.0f);
}

namespace he::retrieval {
namespace {
// Fuzzer finding: an empty array claiming 5555555555555553 columns passed the size checks
// (it holds no data) and reached PackedCodes with a wrapped bit count (std::invalid_argument).
TEST(Npy, CodesOfAbsurdWidthAreRejectedClearly) {
  for (const char* dtype : {"i8", "u1"}) {
    NpyArray a{dtype, {0, 5555555555555553}, {}};
    NpyArray back = parse_npy(encode_npy(a).data(), encode_npy(a).size(), "wide.npy");
    try {
      codes_from_npy(back, "wide.npy");
      ADD_FAILURE() << dtype << ": accepted";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("wide.npy"), std::string::npos) << e.what();
    }
  }
}
}  // namespace
}  // namespace he::retrieval
