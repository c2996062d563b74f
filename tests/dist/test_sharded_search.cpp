// Sharded k-NN: the merge of per-shard lists, and `mpirun -np N hashsearch knn` against one
// process, compared byte for byte (ids and distances, tie order included).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include "dist_test_util.h"
#include "retrieval/index.h"
#include "retrieval/npy.h"
#include "retrieval/sharded_knn.h"

using namespace he::retrieval;

namespace {

KnnResult part(size_t nq, size_t k, std::vector<int64_t> ids, std::vector<int32_t> dist) {
  KnnResult r;
  r.nq = nq;
  r.k = k;
  r.ids = std::move(ids);
  r.dist = std::move(dist);
  return r;
}

// Random packed codes of `bytes` bytes a row, with some rows repeated, so distances tie often.
std::vector<uint8_t> random_rows(size_t n, size_t bytes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> v(n * bytes);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  for (size_t i = 1; i < n; i += 7)  // every 7th row duplicates an earlier one
    std::copy_n(v.begin() + (rng() % i) * bytes, bytes, v.begin() + i * bytes);
  return v;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

}  // namespace

TEST(ShardMerge, OrdersByDistanceThenGlobalRow) {
  // Shard 0 holds rows 0..2, shard 1 rows 3..5; one query, k=4.
  KnnResult a = part(1, 3, {2, 0, 1}, {1, 3, 3});
  KnnResult b = part(1, 2, {0, 2}, {1, 3});  // rows 3 and 5
  KnnResult m = merge_shard_knn({a, b}, {0, 3}, 1, 4);
  EXPECT_EQ(m.ids, (std::vector<int64_t>{2, 3, 0, 1}));
  EXPECT_EQ(m.dist, (std::vector<int32_t>{1, 1, 3, 3}));
  EXPECT_THROW(merge_shard_knn({a, b}, {0, 3}, 1, 6), std::invalid_argument);
  EXPECT_THROW(merge_shard_knn({a, b}, {0}, 1, 2), std::invalid_argument);
}

TEST(ShardMerge, ShardedSearchInOneProcessEqualsTheIndex) {
  std::vector<uint8_t> raw = random_rows(500, 2, 7);
  PackedCodes db = codes_from_npy(npy_from({500, 2}, raw.data()), "db", 0);
  PackedCodes q = db.slice(0, 40);
  auto index = make_binary_index("flat", db);
  KnnResult want = index->search(q, 25);
  KnnResult got = sharded_knn(he::dist::World::get(), index.get(), q, 25, 0, db.size());
  EXPECT_EQ(got.ids, want.ids);
  EXPECT_EQ(got.dist, want.dist);
  EXPECT_THROW(sharded_knn(he::dist::World::get(), index.get(), q, 501, 0, 500),
               std::invalid_argument);
}

#ifdef HE_HASHSEARCH_BIN
TEST(ShardedHashsearch, MpirunEqualsOneProcessByteForByte) {
  if (!he::dist::built_with_mpi()) GTEST_SKIP() << "built without MPI (ENGINE_MPI=OFF)";
  if (!he_test::have_mpirun()) GTEST_SKIP() << "mpirun not found";
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("he_sharded_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string d = dir.string() + "/", bin = HE_HASHSEARCH_BIN;
  // 16-bit codes over 3001 rows: most distances tie, so the tie order is what is tested.
  std::vector<uint8_t> db = random_rows(3001, 2, 11), q = random_rows(60, 2, 12);
  std::vector<int64_t> ids(3001);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = 1000000 - 3 * static_cast<int64_t>(i);
  write_npy(d + "db.npy", npy_from({3001, 2}, db.data()));
  write_npy(d + "q.npy", npy_from({60, 2}, q.data()));
  write_npy(d + "ids.npy", npy_from({3001}, ids.data()));
  const std::string quiet = " > /dev/null 2>&1";
  ASSERT_EQ(std::system((bin + " build --db " + d + "db.npy --ids " + d +
                         "ids.npy --index mih --out " + d + "mih.idx" + quiet)
                            .c_str()),
            0);
  // (database option, k): an .npy scanned flat, an .npy through MIH, a memory-mapped MIH
  // index file with external ids, and k = n (every row, so shards of any size take part).
  const std::vector<std::pair<std::string, int>> cases = {{"--db " + d + "db.npy", 50},
                                                          {"--db " + d + "db.npy --index mih", 50},
                                                          {"--index " + d + "mih.idx", 100},
                                                          {"--db " + d + "db.npy", 3001}};
  for (size_t c = 0; c < cases.size(); ++c) {
    const std::string args = " knn " + cases[c].first + " --queries " + d + "q.npy --k " +
                             std::to_string(cases[c].second) + " --threads 1 --out ";
    const std::string one = d + "one" + std::to_string(c);
    ASSERT_EQ(std::system((bin + args + one + quiet).c_str()), 0) << args;
    for (int n : {2, 3}) {
      const std::string many = d + "np" + std::to_string(n) + "_" + std::to_string(c);
      const std::string cmd = he_test::mpirun(n) + " " + bin + args + many + quiet;
      ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
      for (const char* s : {"_ids.npy", "_dist.npy"}) {
        const std::string a = slurp(one + s), b = slurp(many + s);
        EXPECT_FALSE(a.empty()) << one + s;
        EXPECT_TRUE(a == b) << "np " << n << ", " << args << ": " << s << " differs";
      }
    }
  }
  fs::remove_all(dir);
}
#endif
