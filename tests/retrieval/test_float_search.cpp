// Float k-NN (GEMM + heap) against a naive double-precision scan with a stable sort.
// Small integer-valued vectors make every dot product exact, so ties are real ties.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "retrieval/float_search.h"

using namespace he::retrieval;

TEST(RetrievalFloatSearch, MatchesNaiveWithTies) {
  std::mt19937 rng(5);
  const size_t n = 5000, nq = 300, d = 8;  // several query and database blocks
  std::vector<float> db(n * d), q(nq * d);
  for (auto& v : db) v = static_cast<float>(static_cast<int>(rng() % 5) - 2);
  for (auto& v : q) v = static_cast<float>(static_cast<int>(rng() % 5) - 2);
  for (auto metric : {FloatMetric::InnerProduct, FloatMetric::L2, FloatMetric::Cosine}) {
    for (size_t k : {size_t{1}, size_t{17}, size_t{4500}}) {
      FloatKnnResult r = float_knn(db.data(), n, q.data(), nq, d, k, metric, 2);
      for (size_t i = 0; i < nq; i += 37) {
        std::vector<double> key(n);
        for (size_t j = 0; j < n; ++j) {
          double dot = 0, nx = 0, nqq = 0, l2 = 0;
          for (size_t t = 0; t < d; ++t) {
            dot += double(q[i * d + t]) * db[j * d + t];
            nx += double(db[j * d + t]) * db[j * d + t];
            nqq += double(q[i * d + t]) * q[i * d + t];
            l2 += std::pow(double(q[i * d + t]) - db[j * d + t], 2);
          }
          key[j] = metric == FloatMetric::L2 ? l2
                   : metric == FloatMetric::InnerProduct
                       ? -dot
                       : (nx > 0 && nqq > 0 ? -dot / std::sqrt(nx * nqq) : 0.0);
        }
        std::vector<size_t> order(n);
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(),
                         [&](size_t a, size_t b) { return key[a] < key[b]; });
        for (size_t j = 0; j < k; ++j) {
          // cosine scores are not exact in float: compare them with a tolerance, ids only for
          // the exact metrics
          double want = metric == FloatMetric::L2 ? key[order[j]] : -key[order[j]];
          ASSERT_NEAR(r.scores[i * k + j], want, 1e-4) << "metric " << int(metric) << " q " << i;
          if (metric != FloatMetric::Cosine) {
            ASSERT_EQ(r.ids[i * k + j], int64_t(order[j]));
          }
        }
      }
    }
  }
  EXPECT_THROW(float_knn(db.data(), n, q.data(), nq, d, 0, FloatMetric::L2), std::invalid_argument);
}
