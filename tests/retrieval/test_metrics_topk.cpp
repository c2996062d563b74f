// Metrics over a given top-k ranking, against values worked out by hand.
#include <gtest/gtest.h>

#include "retrieval/metrics_topk.h"

using namespace he::retrieval;

TEST(RetrievalMetricsTopk, HandComputedValues) {
  // Database labels 0 1 0 2 0; query 0 (label 0) ranks 1 0 2 -> relevant at ranks 2, 3:
  // AP = (1/2 + 2/3) / 2 = 7/12, P@3 = 2/3, R@3 = 2/3 (three label-0 items).
  // Query 1 (label 2) ranks 3, -1 (empty), 4 -> AP = 1, P@3 = 1/3, R@3 = 1.
  Labels db = Labels::single({0, 1, 0, 2, 0}), q = Labels::single({0, 2});
  const std::vector<int64_t> ids = {1, 0, 2, 3, -1, 4};
  TopkEvalResult r = evaluate_topk(ids.data(), 2, 3, db, q, 1);
  EXPECT_NEAR(r.map_k, (7.0 / 12 + 1.0) / 2, 1e-12);
  EXPECT_NEAR(r.p_k, (2.0 / 3 + 1.0 / 3) / 2, 1e-12);
  EXPECT_NEAR(r.r_k, (2.0 / 3 + 1.0) / 2, 1e-12);
  EXPECT_EQ(r.database, 5u);
  const std::vector<int64_t> bad = {5, 0, 1, 2, 3, 4};
  EXPECT_THROW(evaluate_topk(bad.data(), 2, 3, db, q, 1), std::invalid_argument);
}
