// Float-descriptor retrieval: cosine evaluation against the Hamming evaluation (on +-1
// vectors the two rankings coincide) and against a plain double-precision reference with
// real ties; PCA-whitening and query expansion on hand-computed examples.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "retrieval/codes.h"
#include "retrieval/float_eval.h"
#include "retrieval/metrics.h"
#include "retrieval/query_expansion.h"
#include "retrieval/whitening.h"

using namespace he::retrieval;

TEST(FloatEval, EqualsHammingEvaluationOnSignVectors) {
  // +-1 vectors of 64 dims: cos = 1 - 2 h / 64, computed exactly in float (entries +-1/8),
  // so the cosine ranking and its ties are those of the Hamming ranking.
  std::mt19937 rng(3);
  const size_t n = 700, nq = 60, d = 64;
  std::vector<float> db(n * d), q(nq * d);
  for (auto& v : db) v = (rng() % 3 == 0) ? -1.f : 1.f;  // biased bits: many distance ties
  for (auto& v : q) v = (rng() % 3 == 0) ? -1.f : 1.f;
  std::vector<int64_t> dl(n), ql(nq);
  for (auto& l : dl) l = rng() % 4;
  for (auto& l : ql) l = rng() % 4;
  Labels dbl = Labels::single(dl), qll = Labels::single(ql);
  for (size_t k : {size_t{1}, size_t{50}, n}) {
    EvalOptions o;
    o.k = k, o.threads = 2;
    EvalResult f = evaluate_float(db.data(), n, q.data(), nq, d, dbl, qll, o);
    EvalResult h =
        evaluate_hamming(pack_signs(db.data(), n, d), dbl, pack_signs(q.data(), nq, d), qll, o);
    EXPECT_DOUBLE_EQ(f.map_k, h.map_k) << k;
    EXPECT_DOUBLE_EQ(f.map_all, h.map_all);
    EXPECT_DOUBLE_EQ(f.p_k, h.p_k);
    EXPECT_DOUBLE_EQ(f.r_k, h.r_k);
    EXPECT_EQ(f.k, h.k);
  }
}

TEST(FloatEval, EqualsReferenceWithDuplicateRows) {
  // Duplicated database rows tie exactly; the reference sorts by double cosine, stably.
  std::mt19937 rng(9);
  const size_t base = 100, n = 300, nq = 25, d = 5;
  std::normal_distribution<float> g;
  std::vector<float> db(n * d), q(nq * d);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < d; ++j) db[i * d + j] = i < base ? g(rng) : db[(i % base) * d + j];
  for (auto& v : q) v = g(rng);
  std::vector<int64_t> dl(n), ql(nq);
  for (size_t i = 0; i < n; ++i) dl[i] = (i * 7) % 3;
  for (auto& l : ql) l = rng() % 3;
  const size_t k = 40;
  EvalOptions o;
  o.k = k;
  EvalResult f =
      evaluate_float(db.data(), n, q.data(), nq, d, Labels::single(dl), Labels::single(ql), o);
  double map_k = 0, map_all = 0;
  for (size_t qi = 0; qi < nq; ++qi) {
    std::vector<double> sim(n);
    for (size_t i = 0; i < n; ++i) {
      double dot = 0, a = 0, b = 0;
      for (size_t j = 0; j < d; ++j)
        dot += double(q[qi * d + j]) * db[i * d + j], a += double(q[qi * d + j]) * q[qi * d + j],
            b += double(db[i * d + j]) * db[i * d + j];
      sim[i] = dot / std::sqrt(a * b);
    }
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) {
      return sim[x] > sim[y] + 1e-9 || (std::abs(sim[x] - sim[y]) <= 1e-9 && x < y);
    });
    auto ap = [&](size_t kk) {
      double s = 0;
      size_t hits = 0;
      for (size_t r = 0; r < kk; ++r)
        if (dl[order[r]] == ql[qi]) s += double(++hits) / double(r + 1);
      return hits ? s / hits : 0.0;
    };
    map_k += ap(k) / nq, map_all += ap(n) / nq;
  }
  EXPECT_NEAR(f.map_k, map_k, 1e-12);
  EXPECT_NEAR(f.map_all, map_all, 1e-12);
  EXPECT_THROW(
      evaluate_float(db.data(), n, q.data(), nq, d, Labels::single(ql), Labels::single(ql), o),
      std::invalid_argument);
}

TEST(Whitening, HandComputedAxisData) {
  // Points (+-2, 0) and (0, +-1): mean 0, covariance diag(2, 0.5). The projection scales the
  // axes by 1/sqrt(2) and 1/sqrt(0.5); (1, 1) -> (1/sqrt 2, sqrt 2) -> unit length.
  std::vector<float> x{2, 0, -2, 0, 0, 1, 0, -1};
  PcaWhitening w = fit_pca_whitening(x.data(), 4, 2, 0, 0.0);
  ASSERT_EQ(w.projection.size(), 4u);
  EXPECT_NEAR(w.variances[0], 2.0, 1e-12);
  EXPECT_NEAR(w.variances[1], 0.5, 1e-12);
  EXPECT_NEAR(w.projection[0], 1 / std::sqrt(2.0), 1e-6);
  EXPECT_NEAR(w.projection[1], 0, 1e-6);
  EXPECT_NEAR(w.projection[2], 0, 1e-6);
  EXPECT_NEAR(w.projection[3], std::sqrt(2.0), 1e-6);
  std::vector<float> p{1, 1};
  std::vector<float> y = w.apply(p.data(), 1);
  EXPECT_NEAR(y[0], (1 / std::sqrt(2.0)) / std::sqrt(2.5), 1e-6);
  EXPECT_NEAR(y[1], std::sqrt(2.0) / std::sqrt(2.5), 1e-6);
  EXPECT_THROW(fit_pca_whitening(x.data(), 4, 2, 3), std::invalid_argument);
}

TEST(Whitening, WhitenedCovarianceIsIdentity) {
  std::mt19937 rng(2);
  std::normal_distribution<float> g;
  const size_t n = 2000, d = 6, m = 4;
  std::vector<float> x(n * d);
  for (size_t i = 0; i < n; ++i) {  // correlated columns of different scales
    float z[3] = {g(rng), g(rng), g(rng)};
    for (size_t j = 0; j < d; ++j)
      x[i * d + j] = (j + 1) * z[j % 3] + 0.5f * z[(j + 1) % 3] + 0.1f * g(rng) + 3.0f;
  }
  PcaWhitening w = fit_pca_whitening(x.data(), n, d, m, 0.0);
  for (size_t a = 0; a < m; ++a)
    for (size_t b = 0; b < m; ++b) {
      double c = 0;  // row a and b of the projection on the centred data, averaged
      for (size_t i = 0; i < n; ++i) {
        double ya = 0, yb = 0;
        for (size_t j = 0; j < d; ++j) {
          ya += w.projection[a * d + j] * (x[i * d + j] - w.mean[j]);
          yb += w.projection[b * d + j] * (x[i * d + j] - w.mean[j]);
        }
        c += ya * yb / n;
      }
      EXPECT_NEAR(c, a == b ? 1.0 : 0.0, 1e-3) << a << "," << b;
    }
  for (size_t r = 1; r < m; ++r) EXPECT_GE(w.variances[r - 1], w.variances[r]);
}

TEST(QueryExpansion, HandComputedAverageAndAlpha) {
  // Database (1,0), (0,1), (1,1); query (2,0). Top 2 by cosine: ids 0 (cos 1), 2 (cos 1/sqrt 2).
  std::vector<float> db{1, 0, 0, 1, 1, 1}, q{2, 0};
  const double h = 1 / std::sqrt(2.0);
  auto unit = [](double a, double b) {
    double r = std::sqrt(a * a + b * b);
    return std::vector<double>{a / r, b / r};
  };
  // AQE: (1,0) + (1,0) + (h,h).
  std::vector<float> aqe = expand_queries(db.data(), 3, q.data(), 1, 2, 2, 0.0, 1);
  std::vector<double> want = unit(2 + h, h);
  EXPECT_NEAR(aqe[0], want[0], 1e-6);
  EXPECT_NEAR(aqe[1], want[1], 1e-6);
  // alpha = 3: the second neighbour weighs h^3, so (2 + h^4, h^4) = (2.25, 0.25).
  std::vector<float> a3 = expand_queries(db.data(), 3, q.data(), 1, 2, 2, 3.0, 1);
  want = unit(2.25, 0.25);
  EXPECT_NEAR(a3[0], want[0], 1e-6);
  EXPECT_NEAR(a3[1], want[1], 1e-6);
  EXPECT_THROW(expand_queries(db.data(), 3, q.data(), 1, 2, 4, 0.0), std::invalid_argument);
}
