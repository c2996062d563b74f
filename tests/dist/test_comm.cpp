// The collectives of engine/dist/comm.h. The DistCollectives tests hold for any number of ranks:
// run alone they check the single-process group; DistMpirun runs this same binary under
// `mpirun -np 2` and `-np 3` on just those tests (skipped when mpirun is absent or the build
// has no MPI).
#include <gtest/gtest.h>

#include <cstdlib>
#include <numeric>
#include <string>

#include "dist_test_util.h"
#include "engine/dist/comm.h"

using he::dist::shard_rows;
using he::dist::World;

TEST(DistShard, BlocksCoverRowsInRankOrder) {
  for (size_t n : {0, 1, 2, 7, 10, 101})
    for (int size : {1, 2, 3, 8}) {
      size_t next = 0, longest = 0, shortest = n;
      for (int r = 0; r < size; ++r) {
        auto s = shard_rows(n, r, size);
        EXPECT_EQ(s.begin, next) << n << " rows, rank " << r << " of " << size;
        next = s.end;
        longest = std::max(longest, s.size());
        shortest = std::min(shortest, s.size());
      }
      EXPECT_EQ(next, n);
      EXPECT_LE(longest - shortest, 1u);
    }
  EXPECT_THROW(shard_rows(5, 2, 2), std::invalid_argument);
}

TEST(DistCollectives, AllreduceSumsAndMeansOverRanksInBuckets) {
  World& w = World::get();
  const size_t old = w.bucket_bytes();
  w.set_bucket_bytes(64);  // 16 floats: the 1000-element buffer goes in many buckets
  const int p = w.size(), r = w.rank();
  std::vector<float> f(1000);
  std::vector<double> d(1000);
  for (size_t i = 0; i < f.size(); ++i) f[i] = d[i] = static_cast<double>(i) * (r + 1);
  w.allreduce_sum(f.data(), f.size());
  w.allreduce_mean(d.data(), d.size());
  const double ranks_sum = p * (p + 1) / 2.0;  // sum of (r + 1)
  for (size_t i = 0; i < f.size(); ++i) {
    ASSERT_FLOAT_EQ(f[i], static_cast<float>(i * ranks_sum)) << i;
    ASSERT_DOUBLE_EQ(d[i], i * ranks_sum / p) << i;
  }
  EXPECT_EQ(w.allreduce_sum(int64_t{r + 1}), static_cast<int64_t>(ranks_sum));
  w.set_bucket_bytes(old);
}

TEST(DistCollectives, GathersAndBroadcastsInRankOrder) {
  World& w = World::get();
  const int p = w.size(), r = w.rank();
  int64_t mine[2] = {r, 10 * r};
  std::vector<int64_t> all(2 * p, -1);
  w.allgather_bytes(mine, sizeof mine, all.data());
  for (int q = 0; q < p; ++q) {
    EXPECT_EQ(all[2 * q], q);
    EXPECT_EQ(all[2 * q + 1], 10 * q);
  }
  std::vector<int32_t> v(r + 1, r);  // rank r sends r+1 copies of r
  std::vector<int32_t> got = w.allgatherv(v);
  std::vector<int32_t> want;
  for (int q = 0; q < p; ++q) want.insert(want.end(), q + 1, q);
  EXPECT_EQ(got, want);

  std::vector<size_t> counts;
  std::vector<uint8_t> g = w.gatherv_bytes(v.data(), v.size() * sizeof(int32_t), counts);
  if (w.is_root()) {
    ASSERT_EQ(counts.size(), static_cast<size_t>(p));
    EXPECT_EQ(g.size(), want.size() * sizeof(int32_t));
    EXPECT_EQ(std::memcmp(g.data(), want.data(), g.size()), 0);
  } else {
    EXPECT_TRUE(g.empty());
  }
  double x = w.is_root() ? 3.25 : -1.0;
  w.broadcast(&x, sizeof x, 0);
  EXPECT_EQ(x, 3.25);
  w.barrier();
}

TEST(DistMpirun, CollectivesOnTwoAndThreeRanks) {
  if (!he::dist::built_with_mpi()) GTEST_SKIP() << "built without MPI (ENGINE_MPI=OFF)";
  if (World::get().distributed()) GTEST_SKIP() << "already a rank of an mpirun job";
  if (!he_test::have_mpirun()) GTEST_SKIP() << "mpirun not found";
  for (int n : {2, 3}) {
    const std::string cmd = he_test::mpirun(n) + " /proc/" + std::to_string(getpid()) +
                            "/exe --gtest_filter='DistCollectives.*' > /dev/null";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
}
