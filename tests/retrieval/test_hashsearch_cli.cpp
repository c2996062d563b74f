// hashsearch's command line: every number is range-checked as it is parsed (the message names
// the option, the value and the allowed range), and a file that does not hold what the
// subcommand expects is named with its dtype and shape.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "hashsearch_runner.h"
#include "retrieval/npy.h"

namespace he::retrieval {
namespace {
namespace fs = std::filesystem;
using testing::Exit;
using testing::hashsearch;

class HashsearchCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir =
        (fs::temp_directory_path() / ("he_hashsearch_cli." + std::to_string(::getpid()))).string();
    fs::create_directories(dir);
    const std::vector<uint8_t> codes(4 * 2, 0x5a);  // 4 codes of 16 bits
    write_npy(codes_npy(), npy_from({4, 2}, codes.data()));
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string codes_npy() const { return dir + "/codes.npy"; }
  void expect_refused(const std::vector<std::string>& args, const std::string& message) {
    const Exit e = hashsearch(args, dir);
    EXPECT_NE(e.status, 0) << message;
    EXPECT_NE(e.output.find(message), std::string::npos)
        << "wanted: " << message << "\ngot: " << e.output;
  }
  std::string dir;
};

TEST_F(HashsearchCli, NumbersOutsideTheirRangeNameTheOptionAndTheRange) {
  const std::string q = codes_npy(), out = dir + "/res";
  expect_refused({"knn", "--db", q, "--queries", q, "--k", "-5", "--out", out},
                 "--k: -5 is outside the allowed range [1, 1000000]");
  expect_refused({"knn", "--db", q, "--queries", q, "--k", "3", "--m", "-1", "--out", out},
                 "--m: -1 is outside the allowed range [0, 32768]");
  expect_refused({"radius", "--db", q, "--queries", q, "--r", "-1", "--out", out},
                 "--r: -1 is outside the allowed range [0, 32768]");
  expect_refused({"knn", "--db", q, "--queries", q, "--k", "3", "--bits", "40000", "--out", out},
                 "--bits: 40000 is outside the allowed range [0, 32768]");
  expect_refused({"knn", "--db", q, "--queries", q, "--k", "3", "--threads", "-2", "--out", out},
                 "--threads: -2 is outside the allowed range [0, 1024]");
  expect_refused(
      {"eval", "--db", q, "--db-labels", q, "--queries", q, "--query-labels", q, "--k", "0"},
      "--k: 0 is outside the allowed range [1, 100000000]");
  expect_refused({"knn", "--db", q, "--queries", q, "--k", "ten", "--out", out},
                 "--k: ten is not a number in the allowed range [1, 1000000]");
  // In range, the same command runs.
  const Exit ok = hashsearch({"knn", "--db", q, "--queries", q, "--k", "2", "--out", out}, dir);
  EXPECT_EQ(ok.status, 0) << ok.output;
}

TEST_F(HashsearchCli, UnexpectedFilesAreNamedWithDtypeAndShape) {
  const std::string q = codes_npy(), out = dir + "/res";
  const std::string cube = dir + "/cube.npy";
  const std::vector<float> v(8, 1.f);
  write_npy(cube, npy_from({2, 2, 2}, v.data()));
  expect_refused({"knn", "--db", cube, "--queries", q, "--k", "1", "--out", out},
                 cube + " holds float32 (2, 2, 2); float descriptors must be a 2-D (n, d) array");
  // Real-valued features are searched as float descriptors: the queries must be vectors of
  // their dimension, and packed codes are named as what they are.
  const std::string features = dir + "/features.npy";
  const std::vector<float> f{0.5f, -1.f, 1.f, 0.f, 1.f, 1.f, -1.f, 2.f};
  write_npy(features, npy_from({2, 4}, f.data()));
  expect_refused({"knn", "--db", features, "--queries", q, "--k", "1", "--out", out},
                 q + " holds uint8 (4, 2): vectors of dimension 2, the index has 4");
  // 2 bytes per row cannot hold 24-bit codes: the file's dtype and shape say why.
  expect_refused({"knn", "--db", q, "--queries", q, "--k", "1", "--bits", "24", "--out", out},
                 q + " holds uint8 (4, 2); Hamming search expects packed uint8 codes");
  expect_refused({"eval", "--db", q, "--db-labels", cube, "--queries", q, "--query-labels", q},
                 cube + " holds float32 (2, 2, 2); labels must be (n) class ids");
}

}  // namespace
}  // namespace he::retrieval
