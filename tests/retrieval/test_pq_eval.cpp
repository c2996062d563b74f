// evaluate_pq: the figures of the whole-database ADC ranking equal those of the index's own
// k-NN search (same distances, same tie order) and of a hand-made example.
#include <gtest/gtest.h>

#include <vector>

#include "pq_test_data.h"
#include "retrieval/metrics_topk.h"
#include "retrieval/pq_eval.h"

namespace he::retrieval {
namespace {

TEST(PqEval, MatchesTheIndexSearchRanking) {
  const size_t n = 600, nq = 40, d = 16;
  const std::vector<float> x = testing::mixture_rows(n, d, 6, 0.8f, 1);
  const std::vector<float> q = testing::mixture_rows(nq, d, 6, 0.8f, 2);
  std::vector<int64_t> dl(n), ql(nq);
  for (size_t i = 0; i < n; ++i) dl[i] = static_cast<int64_t>(i % 5);
  for (size_t i = 0; i < nq; ++i) ql[i] = static_cast<int64_t>(i % 5);
  for (bool opq : {false, true})
    for (int nbits : {4, 8}) {
      PqIndex index = PqIndex::train(x.data(), n, d, 4, nbits, opq, 3);
      index.add(x.data(), n);
      EvalOptions eo;
      eo.k = 50;
      const EvalResult r =
          evaluate_pq(index, q.data(), nq, Labels::single(dl), Labels::single(ql), eo);
      // The full ranking from search with k = n: mAP@all and mAP@k of its prefix.
      PqSearchOptions so;
      so.k = n;
      const FloatKnnResult all = index.search(q.data(), nq, so);
      const TopkEvalResult t_all =
          evaluate_topk(all.ids.data(), nq, n, Labels::single(dl), Labels::single(ql));
      std::vector<int64_t> prefix;
      for (size_t i = 0; i < nq; ++i)
        prefix.insert(prefix.end(), all.ids.begin() + i * n, all.ids.begin() + i * n + 50);
      const TopkEvalResult t_k =
          evaluate_topk(prefix.data(), nq, 50, Labels::single(dl), Labels::single(ql));
      EXPECT_NEAR(r.map_all, t_all.map_k, 1e-12) << opq << " " << nbits;
      EXPECT_NEAR(r.map_k, t_k.map_k, 1e-12) << opq << " " << nbits;
      EXPECT_NEAR(r.p_k, t_k.p_k, 1e-12) << opq << " " << nbits;
      EXPECT_NEAR(r.r_k, t_k.r_k, 1e-12) << opq << " " << nbits;
      EXPECT_GT(r.map_k, 0.2);  // the mixture's classes are not the labels: above chance only
      EXPECT_EQ(pq_code_bytes(index.quantizer()), nbits == 8 ? 4u : 2u);
    }
}

TEST(PqEval, HandMadeRanking) {
  // d = 2, m = 2, nbits 4: the centroids of each subspace are 0, 1, ..., 15 (one value
  // each). Database rows (0,0), (5,5), (1,1), (5,5); query (1,1): ADC distances 2, 32, 0, 32,
  // ranking 2, 0, 1, 3 (ties by index). Labels: db 0, 1, 0, 1; query 0: relevant at ranks 1
  // and 2 -> AP@all = 1; AP@1 = 1. Query label 1: relevant at ranks 3, 4 -> AP = (1/3 +
  // 2/4) / 2.
  ProductQuantizer pq;
  pq.d = 2, pq.m = 2, pq.nbits = 4;
  for (int j = 0; j < 2; ++j)
    for (int c = 0; c < 16; ++c) pq.centroids.push_back(static_cast<float>(c));
  PqIndex index(pq, {});
  const std::vector<float> db{0, 0, 5, 5, 1, 1, 5, 5};
  index.add(db.data(), 4);
  const std::vector<float> q{1, 1, 1, 1};
  EvalOptions eo;
  eo.k = 1;
  const EvalResult r =
      evaluate_pq(index, q.data(), 2, Labels::single({0, 1, 0, 1}), Labels::single({0, 1}), eo);
  EXPECT_NEAR(r.map_all, (1.0 + (1.0 / 3 + 2.0 / 4) / 2) / 2, 1e-12);
  EXPECT_NEAR(r.map_k, 0.5, 1e-12);  // query 1's top hit (item 2) is not relevant
  EXPECT_THROW(
      evaluate_pq(PqIndex(pq, {}), q.data(), 2, Labels::single({}), Labels::single({0, 1})),
      std::invalid_argument);
}

}  // namespace
}  // namespace he::retrieval
