// The index interface: every backend (flat, MIH, CUDA flat) answers like the reference
// scan, ties by index included; add, save and read; device errors.
#include <gtest/gtest.h>

#include <string>

#include "kernels/runtime.h"
#include "retrieval/hamming_search.h"
#include "retrieval/index.h"
#include "retrieval/index_file.h"
#include "test_util.h"

using namespace he::retrieval;
using he::retrieval::testing::clustered_codes;
using he::retrieval::testing::random_codes;

namespace {

void expect_same(const KnnResult& a, const KnnResult& b, const std::string& ctx) {
  ASSERT_EQ(a.nq, b.nq) << ctx;
  ASSERT_EQ(a.k, b.k) << ctx;
  EXPECT_EQ(a.dist, b.dist) << ctx;
  EXPECT_EQ(a.ids, b.ids) << ctx;
}

void expect_same(const RangeResult& a, const RangeResult& b, const std::string& ctx) {
  EXPECT_EQ(a.lims, b.lims) << ctx;
  EXPECT_EQ(a.dist, b.dist) << ctx;
  EXPECT_EQ(a.ids, b.ids) << ctx;
}

bool have_gpu() { return he::kernels::cuda::built() && he::kernels::cuda::device_count() > 0; }

}  // namespace

TEST(BinaryIndex, EveryCpuKindMatchesTheReference) {
  for (int bits : {24, 64, 100}) {
    PackedCodes db = clustered_codes(3000, bits, 12, 3, bits);
    PackedCodes q = clustered_codes(40, bits, 12, 3, bits + 1);
    for (const char* kind : {"flat", "mih"}) {
      const std::string ctx = std::string(kind) + " bits=" + std::to_string(bits);
      auto index = make_binary_index(kind, bits, {"cpu", 2});
      EXPECT_EQ(index->kind(), kind);
      EXPECT_EQ(index->device(), "cpu");
      index->add(db.slice(0, 1000));  // added in three parts: rows keep their order
      index->add(db.slice(1000, 1500));
      index->add(db.slice(2500, 500));
      ASSERT_EQ(index->size(), db.size()) << ctx;
      EXPECT_EQ(index->codes(), db) << ctx;
      for (size_t k : {size_t{1}, size_t{17}, size_t{3000}})
        expect_same(index->search(q, k), hamming_knn_naive(db, q, k),
                    ctx + " k=" + std::to_string(k));
      for (int r : {0, 2, 9})
        expect_same(index->range_search(q, r), hamming_radius(db, q, r),
                    ctx + " r=" + std::to_string(r));
    }
  }
}

TEST(BinaryIndex, FirstAddKeepsAView) {
  PackedCodes db = random_codes(500, 64, 3);
  auto keep = std::make_shared<PackedCodes>(db);
  PackedCodes view = PackedCodes::view(db.data(), db.size(), 64, keep);
  auto index = make_binary_index("flat", 64);
  index->add(view);
  EXPECT_EQ(index->codes().data(), db.data());  // no copy
  auto from_codes = make_binary_index("mih", view);
  EXPECT_EQ(from_codes->codes().data(), db.data());
}

TEST(BinaryIndex, SaveAndReadKeepKindAndAnswers) {
  const std::string path = ::testing::TempDir() + "/binary_index.bin";
  PackedCodes db = clustered_codes(2000, 64, 8, 4, 11);
  PackedCodes q = clustered_codes(30, 64, 8, 4, 12);
  for (const char* kind : {"flat", "mih"}) {
    IndexOptions opt;
    opt.mih_substrings = 4;
    auto index = make_binary_index(kind, db, opt);
    index->save(path);
    IndexContents c = load_index(path);
    EXPECT_EQ(c.kind, std::string(kind) == "mih" ? IndexKind::Mih : IndexKind::Flat);
    EXPECT_EQ(c.mih_substrings, std::string(kind) == "mih" ? 4 : 0);
    auto back = read_binary_index(path);
    EXPECT_EQ(back->kind(), kind);
    EXPECT_EQ(back->codes(), db);
    expect_same(back->search(q, 25), index->search(q, 25), kind);
  }
  std::remove(path.c_str());
}

TEST(BinaryIndex, BadArguments) {
  PackedCodes db = random_codes(50, 64, 1);
  EXPECT_THROW(make_binary_index("ivf", db), std::invalid_argument);
  EXPECT_THROW(make_binary_index("flat", db, {"gpu"}), std::invalid_argument);
  EXPECT_THROW(make_binary_index("flat", db, {"cuda:x"}), std::invalid_argument);
  EXPECT_THROW(make_binary_index("flat", 0), std::invalid_argument);
  auto index = make_binary_index("flat", db);
  EXPECT_THROW(index->add(random_codes(3, 32, 1)), std::invalid_argument);
  EXPECT_THROW(index->search(random_codes(3, 32, 1), 1), std::invalid_argument);
  EXPECT_THROW(index->search(random_codes(3, 64, 1), 0), std::invalid_argument);
  EXPECT_THROW(index->search(random_codes(3, 64, 1), 51), std::invalid_argument);
  EXPECT_THROW(index->range_search(random_codes(3, 64, 1), -1), std::invalid_argument);
}

// Without a usable GPU, asking for one fails at once and says why.
TEST(BinaryIndex, CudaWithoutDeviceFailsClearly) {
  if (have_gpu()) GTEST_SKIP() << "a CUDA device is present";
  for (const char* dev : {"cuda", "cuda:0", "cuda:3"}) {
    try {
      make_binary_index("flat", random_codes(10, 64, 1), {dev});
      ADD_FAILURE() << dev << " did not throw";
    } catch (const std::runtime_error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("cuda:"), std::string::npos) << msg;
      EXPECT_TRUE(msg.find("without the CUDA backend") != std::string::npos ||
                  msg.find("no driver") != std::string::npos ||
                  msg.find("device(s) are present") != std::string::npos)
          << msg;
    }
  }
}

// The CUDA flat index against the CPU one: identical distances and ids, tie order
// included, on codes full of ties; searched, added to, range-searched.
TEST(BinaryIndex, CudaFlatMatchesCpu) {
  if (!have_gpu()) GTEST_SKIP() << "no CUDA device";
  for (int bits : {16, 64, 128, 200}) {
    for (bool clustered : {true, false}) {
      PackedCodes db =
          clustered ? clustered_codes(20000, bits, 10, 2, bits) : random_codes(20000, bits, bits);
      PackedCodes q = clustered ? clustered_codes(300, bits, 10, 2, bits + 5)
                                : random_codes(300, bits, bits + 5);
      const std::string ctx =
          "bits=" + std::to_string(bits) + " clustered=" + std::to_string(clustered);
      auto cpu = make_binary_index("flat", db, {"cpu", 2});
      auto gpu = make_binary_index("flat", db.slice(0, 12345), {"cuda"});
      gpu->add(db.slice(12345, db.size() - 12345));
      EXPECT_EQ(gpu->device(), "cuda:0");
      EXPECT_EQ(gpu->codes(), db) << ctx;
      for (size_t k : {size_t{1}, size_t{10}, size_t{100}, size_t{1000}})
        expect_same(gpu->search(q, k), cpu->search(q, k), ctx + " k=" + std::to_string(k));
      for (int r : {0, 3, bits / 4})
        expect_same(gpu->range_search(q, r), cpu->range_search(q, r),
                    ctx + " r=" + std::to_string(r));
    }
  }
}
