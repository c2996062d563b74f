// Product quantiser: encoding picks the nearest centroid, ADC tables give the distance to the
// reconstruction, and the 8- and 4-bit searches return exactly the brute-force ADC ranking
// (the same in-order float sums), ties by id. OPQ: an orthogonal rotation that lowers the
// quantisation error on correlated data.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "pq_test_data.h"
#include "retrieval/ivfpq_index.h"
#include "retrieval/opq.h"
#include "retrieval/pq.h"
#include "retrieval/pq_index.h"

using namespace he::retrieval;
using he::retrieval::testing::mixture_rows;
using he::retrieval::testing::uniform_rows;

namespace {

double sq(const float* a, const float* b, int64_t d) {
  double s = 0;
  for (int64_t t = 0; t < d; ++t) s += double(a[t] - b[t]) * (a[t] - b[t]);
  return s;
}

// Brute-force ADC ranking: every code's in-order float sum, stable-sorted by distance.
void expect_adc_ranking(const PqIndex& index, const float* q, int64_t nq, const FloatKnnResult& r) {
  const ProductQuantizer& pq = index.quantizer();
  std::vector<float> qr = rotate_queries(q, nq, pq.d, index.rotation());
  std::vector<float> luts(nq * pq.m * pq.ksub());
  pq.distance_tables(qr.data(), nq, luts.data());
  for (int64_t i = 0; i < nq; ++i) {
    std::vector<float> dist(index.size());
    for (int64_t j = 0; j < index.size(); ++j)
      dist[j] = adc_distance(luts.data() + i * pq.m * pq.ksub(), index.codes().data() + j * pq.m,
                             pq.m, pq.ksub());
    std::vector<int64_t> order(index.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return dist[a] < dist[b]; });
    for (size_t j = 0; j < r.k; ++j) {
      ASSERT_EQ(r.ids[i * r.k + j], order[j]) << "query " << i << " rank " << j;
      ASSERT_EQ(r.scores[i * r.k + j], dist[order[j]]);
    }
  }
}

}  // namespace

TEST(RetrievalPq, EncodeIsNearestCentroidAndAdcIsDistanceToReconstruction) {
  const int64_t n = 1500, d = 12, m = 3;
  for (int nbits : {4, 8}) {
    std::vector<float> x = uniform_rows(n, d, 1), q = uniform_rows(5, d, 2);
    ProductQuantizer pq = ProductQuantizer::train(x.data(), n, d, m, nbits);
    std::vector<uint8_t> codes(n * m);
    pq.encode(x.data(), n, codes.data());
    std::vector<float> rec(n * d), luts(5 * m * pq.ksub());
    pq.decode(codes.data(), n, rec.data());
    const int64_t ds = pq.dsub();
    for (int64_t i = 0; i < n; i += 7)
      for (int64_t j = 0; j < m; ++j) {
        const double chosen = sq(x.data() + i * d + j * ds, rec.data() + i * d + j * ds, ds);
        for (int64_t c = 0; c < pq.ksub(); ++c)
          ASSERT_LE(chosen, sq(x.data() + i * d + j * ds,
                               pq.centroids.data() + (j * pq.ksub() + c) * ds, ds) +
                                1e-5);
      }
    pq.distance_tables(q.data(), 5, luts.data());
    for (int64_t qi = 0; qi < 5; ++qi)
      for (int64_t i = 0; i < n; i += 11) {
        const double want = sq(q.data() + qi * d, rec.data() + i * d, d);
        EXPECT_NEAR(
            adc_distance(luts.data() + qi * m * pq.ksub(), codes.data() + i * m, m, pq.ksub()),
            want, 1e-4 * (1 + want));
      }
  }
}

TEST(RetrievalPq, SearchEqualsBruteForceAdc) {
  const int64_t n = 3000, d = 16, nq = 21;  // several 8-query groups and 1024-code blocks
  std::vector<float> x = mixture_rows(n, d, 30, 0.5f, 3), q = mixture_rows(nq, d, 30, 0.5f, 4);
  for (int nbits : {8, 4}) {
    for (int64_t m : {4, 8}) {
      PqIndex index = PqIndex::train(x.data(), n, d, m, nbits, false, 5);
      index.add(x.data(), n);
      // 8 bits: Auto takes the u8 tables where the CPU has AVX-512 VBMI, Scalar the float ones.
      for (auto isa : {he::kernels::cpu::PqIsa::Auto, he::kernels::cpu::PqIsa::Scalar}) {
        PqSearchOptions opt;
        opt.k = 25, opt.threads = 2, opt.isa = isa;
        opt.shortlist = n;  // u8 tables: every code reaches the float tables
        FloatKnnResult r = index.search(q.data(), nq, opt);
        expect_adc_ranking(index, q.data(), nq, r);
      }
    }
  }
}

TEST(RetrievalPq, QuantisedTableShortlistKeepsMostOfTheFloatRanking) {
  const int64_t n = 4000, d = 32, nq = 16, k = 10;
  std::vector<float> x = mixture_rows(n, d, 40, 1.0f, 6), q = mixture_rows(nq, d, 40, 1.0f, 7);
  for (int nbits : {4, 8}) {
    PqIndex index = PqIndex::train(x.data(), n, d, 16, nbits, false, 8);
    index.add(x.data(), n);
    PqSearchOptions all, fast;
    all.k = fast.k = k, all.shortlist = n;  // fast: the default shortlist of k
    FloatKnnResult a = index.search(q.data(), nq, all), f = index.search(q.data(), nq, fast);
    size_t hits = 0;
    for (int64_t i = 0; i < nq; ++i)
      for (int64_t j = 0; j < k; ++j)
        hits += std::count(a.ids.begin() + i * k, a.ids.begin() + (i + 1) * k, f.ids[i * k + j]);
    EXPECT_GE(double(hits) / (nq * k), 0.95) << nbits;  // the u8 tables lose only near-ties
  }
}

TEST(RetrievalPq, ExactRerankingOrdersByTrueDistance) {
  const int64_t n = 2000, d = 16, nq = 8;
  std::vector<float> x = uniform_rows(n, d, 9), q = uniform_rows(nq, d, 10);
  PqIndex index = PqIndex::train(x.data(), n, d, 4, 8, false, 11);
  index.add(x.data(), n);
  PqSearchOptions opt;
  opt.k = 5, opt.originals = x.data(), opt.rerank = 50;
  FloatKnnResult r = index.search(q.data(), nq, opt);
  ASSERT_EQ(r.k, 5u);
  for (int64_t i = 0; i < nq; ++i)
    for (int64_t j = 0; j < 5; ++j) {
      EXPECT_NEAR(r.scores[i * 5 + j], sq(q.data() + i * d, x.data() + r.ids[i * 5 + j] * d, d),
                  1e-4);
      if (j > 0) {
        EXPECT_LE(r.scores[i * 5 + j - 1], r.scores[i * 5 + j]);
      }
    }
}

TEST(RetrievalPq, BadArgumentsThrow) {
  std::vector<float> x = uniform_rows(300, 10, 1);
  EXPECT_THROW(ProductQuantizer::train(x.data(), 300, 10, 3, 8), std::invalid_argument);  // 3 !| 10
  EXPECT_THROW(ProductQuantizer::train(x.data(), 300, 10, 5, 6), std::invalid_argument);  // nbits
  EXPECT_THROW(ProductQuantizer::train(x.data(), 100, 10, 5, 8), std::invalid_argument);  // n < 256
  PqIndex index = PqIndex::train(x.data(), 300, 10, 5, 4, false);
  EXPECT_THROW(index.set_codes(std::vector<uint8_t>(10, 16)), std::invalid_argument);
  index.add(x.data(), 3);
  PqSearchOptions opt;
  opt.k = 4;
  EXPECT_THROW(index.search(x.data(), 1, opt), std::invalid_argument);
}

TEST(RetrievalOpq, RotationIsOrthogonalAndLowersTheError) {
  // Correlated rows: a random linear mix of independent coordinates with unequal scales.
  const int64_t n = 3000, d = 16, m = 4;
  std::vector<float> z = uniform_rows(n, d, 12), a = uniform_rows(d, d, 13), x(n * d, 0.0f);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t s = 0; s < d; ++s)
      for (int64_t t = 0; t < d; ++t) x[i * d + t] += z[i * d + s] * a[s * d + t] * (1.0f + s);
  OpqOptions oo;
  oo.iterations = 6;
  OpqResult o = train_opq(x.data(), n, d, m, 4, oo);
  for (int64_t i = 0; i < d; ++i)
    for (int64_t j = 0; j < d; ++j) {
      float dot = 0;
      for (int64_t t = 0; t < d; ++t) dot += o.rotation[i * d + t] * o.rotation[j * d + t];
      EXPECT_NEAR(dot, i == j ? 1.0f : 0.0f, 1e-4);
    }
  ASSERT_EQ(o.error_history.size(), 6u);
  EXPECT_LT(o.error_history.back(), 0.9 * o.error_history.front());
}

TEST(RetrievalPq, QueriesBeyondOneChunkGiveTheSameResults) {
  // More queries than one table chunk (1024): the last ones searched alone agree.
  const int64_t n = 600, d = 8, nq = 1100, tail = 1030;
  std::vector<float> x = mixture_rows(n, d, 8, 0.5f, 61), q = mixture_rows(nq, d, 8, 0.5f, 62);
  PqIndex pq8 = PqIndex::train(x.data(), n, d, 2, 8, false, 63),
          pq4 = PqIndex::train(x.data(), n, d, 2, 4, false, 64);
  IvfPqIndex ivf = IvfPqIndex::train(x.data(), n, d, 4, 2, 65);
  pq8.add(x.data(), n), pq4.add(x.data(), n), ivf.add(x.data(), n);
  PqSearchOptions opt;
  opt.k = 5, opt.nprobe = 2;
  auto check = [&](auto& index) {
    FloatKnnResult all = index.search(q.data(), nq, opt);
    FloatKnnResult part = index.search(q.data() + tail * d, nq - tail, opt);
    EXPECT_TRUE(std::equal(part.ids.begin(), part.ids.end(), all.ids.begin() + tail * 5));
    EXPECT_TRUE(std::equal(part.scores.begin(), part.scores.end(), all.scores.begin() + tail * 5));
  };
  check(pq8), check(pq4), check(ivf);
}
