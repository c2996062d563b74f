// Metrics on hand-computed examples (ties, no relevant item, multi-label) and against a
// straightforward sort-based reference on random data.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "retrieval/hamming_search.h"
#include "retrieval/metrics.h"
#include "test_util.h"

using namespace he::retrieval;

namespace {

// 4-bit codes from integers (bit j of v = bit j of the code).
PackedCodes codes4(std::vector<int> v) {
  PackedCodes c(v.size(), 4);
  for (size_t i = 0; i < v.size(); ++i)
    for (int j = 0; j < 4; ++j) c.set_bit(i, j, (v[i] >> j) & 1);
  return c;
}

}  // namespace

TEST(Metrics, HandComputedSingleLabelWithTies) {
  // Query 0000, label 1. Database distances: [1, 0, 1, 2, 4], labels [1, 0, 1, 1, 0].
  // Ranking (ties by index): idx1(d0,rel0), idx0(d1,rel1), idx2(d1,rel1), idx3(d2,rel1), idx4.
  // rel in rank order: 0 1 1 1 0.
  PackedCodes db = codes4({0b0001, 0b0000, 0b0010, 0b0011, 0b1111});
  PackedCodes q = codes4({0b0000});
  Labels dl = Labels::single({1, 0, 1, 1, 0}), ql = Labels::single({1});
  EvalResult r = evaluate_hamming(db, dl, q, ql, {3, 1});
  // top 3: 0 1 1 -> AP@3 = (1/2)(1/2 + 2/3) = 7/12
  EXPECT_NEAR(r.map_k, 7.0 / 12.0, 1e-12);
  // all: 0 1 1 1 0 -> (1/3)(1/2 + 2/3 + 3/4) = 23/36
  EXPECT_NEAR(r.map_all, 23.0 / 36.0, 1e-12);
  EXPECT_NEAR(r.p_k, 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(r.r_k, 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(r.p_r2, 3.0 / 4.0, 1e-12);  // within radius 2: idx 1,0,2,3 -> 3 relevant of 4
  ASSERT_EQ(r.pr_precision.size(), 5u);
  EXPECT_NEAR(r.pr_precision[0], 0.0, 1e-12);
  EXPECT_NEAR(r.pr_precision[1], 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(r.pr_recall[1], 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(r.pr_recall[4], 1.0, 1e-12);
  EXPECT_NEAR(r.pr_precision[4], 3.0 / 5.0, 1e-12);
}

TEST(Metrics, QueryWithoutRelevantItemsAndEmptyRadius) {
  PackedCodes db = codes4({0b0000, 0b0001});
  PackedCodes q = codes4({0b1111, 0b0000});
  // query 0: label 9 (nothing relevant), nothing within radius 2 (distances 4, 3).
  // query 1: label 0: ranking idx0(rel1), idx1(rel0) -> AP = 1, P@r2 = 1/2.
  EvalResult r = evaluate_hamming(db, Labels::single({0, 5}), q, Labels::single({9, 0}), {1, 2});
  EXPECT_NEAR(r.map_k, 0.5, 1e-12);
  EXPECT_NEAR(r.map_all, 0.5, 1e-12);
  EXPECT_NEAR(r.p_k, 0.5, 1e-12);
  EXPECT_NEAR(r.r_k, 0.5, 1e-12);
  EXPECT_NEAR(r.p_r2, 0.25, 1e-12);
}

TEST(Metrics, MultiLabelSharesAtLeastOne) {
  // classes: db0 {0,1}, db1 {2}, db2 {1,2}; query {1}. Distances 0, 1, 2 -> rel 1 0 1.
  PackedCodes db = codes4({0b0000, 0b0001, 0b0011});
  PackedCodes q = codes4({0b0000});
  std::vector<uint8_t> dl = {1, 1, 0, 0, 0, 1, 0, 1, 1}, ql = {0, 1, 0};
  EvalResult r = evaluate_hamming(db, Labels::multi_hot(dl.data(), 3, 3), q,
                                  Labels::multi_hot(ql.data(), 1, 3), {2, 1});
  EXPECT_NEAR(r.map_k, 1.0, 1e-12);                        // top 2: 1 0
  EXPECT_NEAR(r.map_all, 0.5 * (1.0 + 2.0 / 3.0), 1e-12);  // 1 0 1
  EXPECT_NEAR(r.r_k, 0.5, 1e-12);
  EXPECT_THROW(
      evaluate_hamming(db, Labels::single({0, 1, 2}), q, Labels::multi_hot(ql.data(), 1, 3)),
      std::invalid_argument);
}

TEST(Metrics, MatchesSortReferenceOnRandomData) {
  using he::retrieval::testing::clustered_codes;
  PackedCodes db = clustered_codes(997, 16, 12, 3, 1), q = clustered_codes(50, 16, 12, 3, 2);
  std::vector<int64_t> dl(997), ql(50);
  for (size_t i = 0; i < dl.size(); ++i) dl[i] = (i * 7) % 5;
  for (size_t i = 0; i < ql.size(); ++i) ql[i] = i % 5;
  const size_t k = 100;
  EvalResult r = evaluate_hamming(db, Labels::single(dl), q, Labels::single(ql), {k, 2});
  KnnResult all = hamming_knn_naive(db, q, db.size());
  double map_k = 0, map_all = 0;
  for (size_t i = 0; i < q.size(); ++i) {
    double s = 0, sk = 0;
    size_t h = 0, hk = 0;
    for (size_t j = 0; j < db.size(); ++j) {
      if (dl[all.ids[i * db.size() + j]] == ql[i]) s += double(++h) / (j + 1);
      if (j + 1 == k) sk = s, hk = h;
    }
    map_k += hk ? sk / hk : 0;
    map_all += h ? s / h : 0;
  }
  EXPECT_NEAR(r.map_k, map_k / q.size(), 1e-12);
  EXPECT_NEAR(r.map_all, map_all / q.size(), 1e-12);
  std::string js = eval_json(r);
  EXPECT_NE(js.find("\"map@k\""), std::string::npos);
  EXPECT_NE(pr_curve_svg(r, "a<b").find("a&lt;b"), std::string::npos);
}
