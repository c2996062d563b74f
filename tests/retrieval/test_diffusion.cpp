// Diffusion (Iscen 2017) against its definition built here densely in double: the reciprocal
// k-NN affinity matrix, its symmetric normalisation, (I - alpha S) f = y solved by Gaussian
// elimination, and the ranking by f with ties by index.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "retrieval/diffusion.h"

using namespace he::retrieval;

namespace {

constexpr size_t kN = 80, kD = 6;

std::vector<float> gaussian(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g;
  std::vector<float> x(n * kD);
  for (auto& v : x) v = g(rng);
  return x;
}

double cosine(const float* a, const float* b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t j = 0; j < kD; ++j) ab += double(a[j]) * b[j], aa += double(a[j]) * a[j];
  for (size_t j = 0; j < kD; ++j) bb += double(b[j]) * b[j];
  return ab / std::sqrt(aa * bb);
}

// The dense I - alpha S of the definition.
std::vector<double> dense_system(const std::vector<float>& x, const DiffusionOptions& o) {
  std::vector<std::vector<size_t>> near(kN);
  for (size_t i = 0; i < kN; ++i) {
    std::vector<size_t> order;
    for (size_t j = 0; j < kN; ++j)
      if (j != i) order.push_back(j);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return cosine(&x[i * kD], &x[a * kD]) > cosine(&x[i * kD], &x[b * kD]);
    });
    near[i].assign(order.begin(), order.begin() + o.graph_k);
  }
  auto has = [&](size_t i, size_t j) {
    return std::find(near[i].begin(), near[i].end(), j) != near[i].end();
  };
  std::vector<double> a(kN * kN, 0.0), deg(kN, 0.0);
  for (size_t i = 0; i < kN; ++i)
    for (size_t j = 0; j < kN; ++j)
      if (i != j && has(i, j) && has(j, i))
        a[i * kN + j] = std::pow(std::max(cosine(&x[i * kD], &x[j * kD]), 0.0), o.gamma),
                   deg[i] += a[i * kN + j];
  std::vector<double> m(kN * kN);
  for (size_t i = 0; i < kN; ++i)
    for (size_t j = 0; j < kN; ++j) {
      const double s = deg[i] > 0 && deg[j] > 0 ? a[i * kN + j] / std::sqrt(deg[i] * deg[j]) : 0;
      m[i * kN + j] = (i == j) - o.alpha * s;
    }
  return m;
}

// Solves m f = y by Gaussian elimination with partial pivoting.
std::vector<double> dense_solve(std::vector<double> m, std::vector<double> y) {
  for (size_t c = 0; c < kN; ++c) {
    size_t p = c;
    for (size_t r = c + 1; r < kN; ++r)
      if (std::abs(m[r * kN + c]) > std::abs(m[p * kN + c])) p = r;
    for (size_t j = 0; j < kN; ++j) std::swap(m[c * kN + j], m[p * kN + j]);
    std::swap(y[c], y[p]);
    for (size_t r = c + 1; r < kN; ++r) {
      const double f = m[r * kN + c] / m[c * kN + c];
      for (size_t j = c; j < kN; ++j) m[r * kN + j] -= f * m[c * kN + j];
      y[r] -= f * y[c];
    }
  }
  std::vector<double> f(kN);
  for (size_t c = kN; c-- > 0;) {
    double s = y[c];
    for (size_t j = c + 1; j < kN; ++j) s -= m[c * kN + j] * f[j];
    f[c] = s / m[c * kN + c];
  }
  return f;
}

}  // namespace

TEST(RetrievalDiffusion, MatchesTheDenseDefinition) {
  const std::vector<float> db = gaussian(kN, 1), q = gaussian(5, 2);
  DiffusionOptions o;
  o.graph_k = 6, o.query_k = 4, o.alpha = 0.9, o.max_iter = 500, o.tol = 1e-13;
  const DiffusionGraph g = DiffusionGraph::build(db.data(), kN, kD, o);
  const std::vector<double> m = dense_system(db, o);
  for (size_t j = 0; j < kN; ++j) {  // column j of I - alpha S
    std::vector<double> e(kN, 0.0);
    e[j] = 1;
    const std::vector<double> col = g.apply(e);
    for (size_t i = 0; i < kN; ++i) ASSERT_NEAR(col[i], m[i * kN + j], 1e-6) << i << "," << j;
  }
  const size_t k = 30;
  const FloatKnnResult r = g.search(q.data(), 5, k);
  for (size_t qi = 0; qi < 5; ++qi) {
    std::vector<size_t> order(kN);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return cosine(&q[qi * kD], &db[a * kD]) > cosine(&q[qi * kD], &db[b * kD]);
    });
    std::vector<double> y(kN, 0.0);
    for (size_t j = 0; j < o.query_k; ++j)
      y[order[j]] = std::pow(std::max(cosine(&q[qi * kD], &db[order[j] * kD]), 0.0), o.gamma);
    const std::vector<double> f = dense_solve(m, y);
    std::vector<size_t> rank(kN);
    std::iota(rank.begin(), rank.end(), 0);
    std::stable_sort(rank.begin(), rank.end(), [&](size_t a, size_t b) { return f[a] > f[b]; });
    for (size_t j = 0; j < k; ++j) {
      ASSERT_NEAR(r.scores[qi * k + j], f[rank[j]], 1e-5) << "query " << qi << " rank " << j;
      if (std::abs(f[rank[j]]) > 1e-9) {  // ids where f is not a (numerically) zero tie
        ASSERT_EQ(r.ids[qi * k + j], int64_t(rank[j])) << "query " << qi << " rank " << j;
      }
    }
  }
  EXPECT_THROW(g.search(q.data(), 5, kN + 1), std::invalid_argument);
  o.alpha = 1;
  EXPECT_THROW(DiffusionGraph::build(db.data(), kN, kD, o), std::invalid_argument);
}
