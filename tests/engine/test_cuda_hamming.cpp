// The Hamming searches on CUDA against the CPU reference (kernels/hamming.h): distances and
// ids must be identical, in the same (distance, index) order.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "cuda_test_util.h"
#include "kernels/hamming.h"

#ifdef ENGINE_HAVE_CUDA
namespace he {
namespace {

using kernels::cpu::HammingArgs;
using testing::DeviceBuffer;

// n codes of `bits` bits; clustered codes are a few prototypes with a few flipped bits, so
// distances repeat and ties are everywhere.
std::vector<uint64_t> make_codes(size_t n, int bits, bool clustered, std::mt19937_64& rng) {
  const size_t W = (bits + 63) / 64;
  const uint64_t last_mask = bits % 64 ? (uint64_t{1} << (bits % 64)) - 1 : ~uint64_t{0};
  std::vector<uint64_t> protos(8 * W);
  for (auto& w : protos) w = rng();
  std::vector<uint64_t> codes(n * W);
  for (size_t i = 0; i < n; ++i) {
    for (size_t w = 0; w < W; ++w) codes[i * W + w] = clustered ? protos[(i % 8) * W + w] : rng();
    if (clustered)
      for (int f = 0; f < 3; ++f) {
        const uint64_t bit = rng() % bits;
        codes[i * W + bit / 64] ^= uint64_t{1} << (bit % 64);
      }
    codes[i * W + W - 1] &= last_mask;
  }
  return codes;
}

struct Case {
  int bits;
  size_t n, nq;
  bool clustered;
  std::string str() const {
    return "bits=" + std::to_string(bits) + " n=" + std::to_string(n) +
           " nq=" + std::to_string(nq) + " clustered=" + std::to_string(clustered);
  }
};

std::vector<Case> cases() {
  std::vector<Case> v;
  for (int bits : {8, 16, 63, 64, 100, 128, 256, 1024})
    for (size_t n : {size_t{1}, size_t{255}, size_t{257}, size_t{5000}})
      for (bool clustered : {false, true}) v.push_back({bits, n, n == 5000 ? 37u : 3u, clustered});
  return v;
}

// Host copies of one case and the device copies the kernels read.
struct Data {
  HammingArgs host, dev;
  std::vector<uint64_t> q, db;
  DeviceBuffer<uint64_t> dq, ddb;
  Data(const Case& c, std::mt19937_64& rng)
      : q(make_codes(c.nq, c.bits, c.clustered, rng)),
        db(make_codes(c.n, c.bits, c.clustered, rng)),
        dq(q),
        ddb(db) {
    host.nq = dev.nq = c.nq;
    host.n = dev.n = c.n;
    host.words = dev.words = (c.bits + 63) / 64;
    host.bits = dev.bits = c.bits;
    host.queries = q.data();
    host.db = db.data();
    dev.queries = dq.get();
    dev.db = ddb.get();
  }
};

TEST(CudaHamming, KnnMatchesCpu) {
  HE_REQUIRE_CUDA();
  std::mt19937_64 rng(testing::test_seed("CudaHamming.KnnMatchesCpu"));
  for (const Case& c : cases()) {
    Data d(c, rng);
    for (size_t k : {size_t{1}, size_t{10}, c.n / 2, c.n}) {
      if (k < 1 || k > c.n) continue;
      const std::string ctx = c.str() + " k=" + std::to_string(k);
      std::vector<int64_t> ids_ref(c.nq * k);
      std::vector<int32_t> dist_ref(c.nq * k);
      kernels::cpu::hamming_knn(d.host, k, ids_ref.data(), dist_ref.data());
      DeviceBuffer<int64_t> ids(c.nq * k, int64_t{-5});
      DeviceBuffer<int32_t> dist(c.nq * k, int32_t{-5});
      kernels::cuda::hamming_knn(d.dev, k, ids.get(), dist.get());
      ASSERT_EQ(dist.download(), dist_ref) << ctx;
      ASSERT_EQ(ids.download(), ids_ref) << ctx;
    }
  }
}

TEST(CudaHamming, RadiusMatchesCpu) {
  HE_REQUIRE_CUDA();
  std::mt19937_64 rng(testing::test_seed("CudaHamming.RadiusMatchesCpu"));
  for (const Case& c : cases()) {
    Data d(c, rng);
    for (int r : {0, 2, c.bits / 3, c.bits, c.bits + 5}) {
      const std::string ctx = c.str() + " r=" + std::to_string(r);
      std::vector<int64_t> lims_ref, ids_ref, lims, ids;
      std::vector<int32_t> dist_ref, dist;
      kernels::cpu::hamming_radius(d.host, r, lims_ref, ids_ref, dist_ref);
      kernels::cuda::hamming_radius(d.dev, r, lims, ids, dist);
      ASSERT_EQ(lims, lims_ref) << ctx;
      ASSERT_EQ(dist, dist_ref) << ctx;
      ASSERT_EQ(ids, ids_ref) << ctx;
    }
  }
}

TEST(CudaHamming, DistancesHistogramAndRankMatchCpu) {
  HE_REQUIRE_CUDA();
  std::mt19937_64 rng(testing::test_seed("CudaHamming.DistancesHistogramAndRankMatchCpu"));
  for (const Case& c : cases()) {
    Data d(c, rng);
    const std::string ctx = c.str();
    const size_t bins = c.bits + 1;
    std::vector<int32_t> mat_ref(c.nq * c.n);
    kernels::cpu::hamming_distance_matrix(d.host, mat_ref.data());
    std::vector<uint32_t> hist_ref(c.nq * bins, 0), order_ref(c.nq * c.n);
    std::vector<uint16_t> row(c.n);
    std::vector<uint32_t> counts(c.bits + 2);
    for (size_t q = 0; q < c.nq; ++q) {
      kernels::cpu::hamming_distances_row(&d.q[q * d.host.words], d.db.data(), c.n, d.host.words,
                                          row.data());
      for (uint16_t x : row) ++hist_ref[q * bins + x];
      kernels::cpu::hamming_rank_row(row.data(), c.n, c.bits, &order_ref[q * c.n], counts.data());
    }
    DeviceBuffer<int32_t> mat(c.nq * c.n, int32_t{-5});
    kernels::cuda::hamming_distance_matrix(d.dev, mat.get());
    ASSERT_EQ(mat.download(), mat_ref) << ctx;
    DeviceBuffer<uint32_t> hist(c.nq * bins, 0xffffffffu), order(c.nq * c.n, 0xffffffffu);
    kernels::cuda::hamming_histogram(d.dev, hist.get());
    ASSERT_EQ(hist.download(), hist_ref) << ctx;
    kernels::cuda::hamming_rank(d.dev, order.get());
    ASSERT_EQ(order.download(), order_ref) << ctx;
  }
}

TEST(CudaHamming, BadArgumentsThrow) {
  HE_REQUIRE_CUDA();
  std::mt19937_64 rng(1);
  Data d({64, 100, 2, false}, rng);
  DeviceBuffer<int64_t> ids(2 * 101);
  DeviceBuffer<int32_t> dist(2 * 101);
  EXPECT_THROW(kernels::cuda::hamming_knn(d.dev, 0, ids.get(), dist.get()), std::invalid_argument);
  EXPECT_THROW(kernels::cuda::hamming_knn(d.dev, 101, ids.get(), dist.get()),
               std::invalid_argument);
  HammingArgs bad = d.dev;
  bad.bits = 65;  // needs two words
  EXPECT_THROW(kernels::cuda::hamming_knn(bad, 1, ids.get(), dist.get()), std::invalid_argument);
  bad.words = 17;
  bad.bits = 17 * 64;  // longer than the CUDA kernels take
  EXPECT_THROW(kernels::cuda::hamming_knn(bad, 1, ids.get(), dist.get()), std::invalid_argument);
  std::vector<int64_t> lims, rid;
  std::vector<int32_t> rdist;
  EXPECT_THROW(kernels::cuda::hamming_radius(d.dev, -1, lims, rid, rdist), std::invalid_argument);
}

}  // namespace
}  // namespace he
#else
TEST(CudaHamming, SkippedWithoutCuda) { GTEST_SKIP() << "built without CUDA"; }
#endif
