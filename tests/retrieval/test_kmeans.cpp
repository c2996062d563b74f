// k-means: separable clusters are recovered, the inertia never rises, a seed fixes the result
// (for any thread count), empty clusters and degenerate data are handled, and the GEMM-based
// assignment kernel agrees with a direct double-precision scan.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "kernels/blas.h"
#include "kernels/kmeans.h"
#include "retrieval/kmeans.h"

using namespace he::retrieval;

namespace {

// `per` points around each of `centres` (rows of a (c,d) matrix), Gaussian noise `sigma`,
// interleaved so that clusters are not contiguous in index order.
std::vector<float> blobs(const std::vector<float>& centres, int64_t c, int64_t d, int64_t per,
                         double sigma, std::vector<int64_t>* truth) {
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0.0f, static_cast<float>(sigma));
  std::vector<float> x;
  for (int64_t i = 0; i < per; ++i)
    for (int64_t j = 0; j < c; ++j) {
      for (int64_t t = 0; t < d; ++t) x.push_back(centres[j * d + t] + noise(rng));
      truth->push_back(j);
    }
  return x;
}

std::vector<float> uniform(int64_t n, int64_t d, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> x(n * d);
  for (auto& v : x) v = u(rng);
  return x;
}

TEST(KMeans, RecoversSeparableClusters) {
  const int64_t c = 4, d = 5;
  const std::vector<float> centres = {10, 0, 0,  0, 0,  -10, 0, 0,   0, 0,
                                      0,  0, 10, 0, 10, 0,   0, -10, 0, -10};
  std::vector<int64_t> truth;
  const std::vector<float> x = blobs(centres, c, d, 200, 0.5, &truth);
  const int64_t n = static_cast<int64_t>(truth.size());
  KMeansOptions o;
  o.k = c;
  o.seed = 3;
  KMeansResult r = kmeans(x.data(), n, d, o);
  EXPECT_TRUE(r.converged);
  // One found cluster per true cluster, and every point with its cluster.
  std::vector<int64_t> found_of(c, -1);
  for (int64_t i = 0; i < n; ++i) {
    if (found_of[truth[i]] < 0) found_of[truth[i]] = r.assign[i];
    EXPECT_EQ(r.assign[i], found_of[truth[i]]) << "point " << i;
  }
  EXPECT_EQ(std::set<int64_t>(found_of.begin(), found_of.end()).size(), size_t(c));
  for (int64_t j = 0; j < c; ++j)
    for (int64_t t = 0; t < d; ++t)
      EXPECT_NEAR(r.centroids[found_of[j] * d + t], centres[j * d + t], 0.15);
  // Inertia ~ n * d * sigma^2.
  EXPECT_NEAR(r.inertia / (n * d), 0.25, 0.05);
}

TEST(KMeans, InertiaNeverIncreases) {
  const int64_t n = 3000, d = 8;
  const std::vector<float> x = uniform(n, d, 1);
  for (int64_t k : {2, 16, 64}) {
    KMeansOptions o;
    o.k = k;
    o.tol = 0;  // run until no point moves (or max_iter)
    o.max_iter = 60;
    KMeansResult r = kmeans(x.data(), n, d, o);
    ASSERT_GE(r.inertia_history.size(), 3u) << "k=" << k;
    for (size_t i = 1; i < r.inertia_history.size(); ++i)
      EXPECT_LE(r.inertia_history[i], r.inertia_history[i - 1] * (1 + 1e-6))
          << "k=" << k << " iteration " << i;
    EXPECT_LT(r.inertia_history.back(), r.inertia_history.front());
    EXPECT_EQ(r.inertia, r.inertia_history.back());
  }
}

TEST(KMeans, SameSeedSameResultForAnyThreadCount) {
  const int64_t n = 5000, d = 12;
  const std::vector<float> x = uniform(n, d, 2);
  KMeansOptions o;
  o.k = 20;
  o.seed = 11;
  he::kernels::cpu::set_num_threads(1);
  KMeansResult a = kmeans(x.data(), n, d, o);
  he::kernels::cpu::set_num_threads(2);
  KMeansResult b = kmeans(x.data(), n, d, o), c = kmeans(x.data(), n, d, o);
  EXPECT_EQ(a.centroids, b.centroids);
  EXPECT_EQ(a.assign, b.assign);
  EXPECT_EQ(b.centroids, c.centroids);
  EXPECT_EQ(a.inertia_history, b.inertia_history);
  o.seed = 12;
  EXPECT_NE(kmeans_plus_plus(x.data(), n, d, o.k, 11), kmeans_plus_plus(x.data(), n, d, o.k, 12));
}

TEST(KMeans, PlusPlusPicksDistinctRowsAndFarPoints) {
  // Two tight groups far apart: the second seed is in the other group (its d2 mass is ~1).
  std::vector<float> x = {0, 0, 0.01f, 0, 0, 0.01f, 100, 100, 100.01f, 100};
  for (uint64_t seed = 0; seed < 20; ++seed) {
    std::vector<int64_t> s = kmeans_plus_plus(x.data(), 5, 2, 2, seed);
    EXPECT_NE(s[0] < 3, s[1] < 3) << "seed " << seed;
  }
  std::vector<int64_t> all = kmeans_plus_plus(x.data(), 5, 2, 5, 1);
  EXPECT_EQ(std::set<int64_t>(all.begin(), all.end()).size(), 5u);
}

TEST(KMeans, DegenerateDataAndEmptyClusters) {
  // k = n: every point its own centroid.
  const std::vector<float> x = uniform(50, 3, 4);
  KMeansOptions o;
  o.k = 50;
  KMeansResult r = kmeans(x.data(), 50, 3, o);
  EXPECT_NEAR(r.inertia, 0.0, 1e-9);
  EXPECT_EQ(std::set<int64_t>(r.assign.begin(), r.assign.end()).size(), 50u);
  // Three distinct points, five clusters: two stay empty (their relocation finds no point
  // away from its centroid), and the result is still well formed.
  std::vector<float> dup;
  for (int i = 0; i < 30; ++i) dup.push_back(static_cast<float>(i % 3));
  o.k = 5;
  r = kmeans(dup.data(), 30, 1, o);
  EXPECT_NEAR(r.inertia, 0.0, 1e-12);
  EXPECT_GT(r.relocations, 0);
  for (int64_t a : r.assign) EXPECT_TRUE(a >= 0 && a < 5);
  // A far outlier steals a centroid from the seeding; relocation keeps all clusters in use on
  // blobs where k exceeds the number of blobs.
  std::vector<int64_t> truth;
  std::vector<float> two = blobs({0, 0, 5, 5}, 2, 2, 100, 0.3, &truth);
  o.k = 6;
  r = kmeans(two.data(), 200, 2, o);
  std::vector<int64_t> count(6, 0);
  for (int64_t a : r.assign) count[a]++;
  for (int64_t j = 0; j < 6; ++j) EXPECT_GT(count[j], 0) << "cluster " << j;
}

TEST(KMeans, RejectsBadSizes) {
  std::vector<float> x(10, 0.0f);
  KMeansOptions o;
  o.k = 6;
  EXPECT_THROW(kmeans(x.data(), 5, 2, o), std::invalid_argument);  // k > n
  o.k = 0;
  EXPECT_THROW(kmeans(x.data(), 5, 2, o), std::invalid_argument);
  o.k = 2;
  o.tol = -1;
  EXPECT_THROW(kmeans(x.data(), 5, 2, o), std::invalid_argument);
}

TEST(KMeansAssign, MatchesADirectScan) {
  const int64_t n = 1500, d = 33, k = 70;
  const std::vector<float> x = uniform(n, d, 5), c = uniform(k, d, 6);
  std::vector<int64_t> assign(n, -7);
  std::vector<float> dist2(n, -1.0f);
  he::kernels::cpu::kmeans_assign(x.data(), n, d, c.data(), k, assign.data(), dist2.data());
  for (int64_t i = 0; i < n; ++i) {
    std::vector<double> dd(k);
    int64_t best = 0;
    for (int64_t j = 0; j < k; ++j) {
      double s = 0;
      for (int64_t t = 0; t < d; ++t) s += std::pow(double(x[i * d + t]) - c[j * d + t], 2);
      dd[j] = s;
      if (s < dd[best]) best = j;
    }
    ASSERT_GE(assign[i], 0);
    // Equal, or a near tie that float rounding may order either way.
    if (assign[i] != best) {
      EXPECT_NEAR(dd[assign[i]], dd[best], 1e-4) << "row " << i;
    }
    EXPECT_NEAR(dist2[i], dd[best], 1e-4 * (1 + dd[best])) << "row " << i;
  }
}

}  // namespace
