// Multi-index hashing must return exactly the exhaustive result (ties by id included).
#include <gtest/gtest.h>

#include <random>

#include "retrieval/mih.h"
#include "test_util.h"

using namespace he::retrieval;
using he::retrieval::testing::clustered_codes;
using he::retrieval::testing::random_codes;

namespace {
// The first k columns of a (nq, n) full ranking.
KnnResult prefix(const KnnResult& all, size_t k) {
  KnnResult r{all.nq, k, {}, {}};
  for (size_t q = 0; q < all.nq; ++q)
    for (size_t j = 0; j < k; ++j) {
      r.ids.push_back(all.ids[q * all.k + j]);
      r.dist.push_back(all.dist[q * all.k + j]);
    }
  return r;
}

void expect_same(const KnnResult& a, const KnnResult& b, const std::string& ctx) {
  ASSERT_EQ(a.ids.size(), b.ids.size()) << ctx;
  for (size_t i = 0; i < a.ids.size(); ++i) {
    ASSERT_EQ(a.dist[i], b.dist[i]) << ctx << " at " << i;
    ASSERT_EQ(a.ids[i], b.ids[i]) << ctx << " at " << i;
  }
}
}  // namespace

TEST(Mih, MatchesExhaustiveClusteredAndRandom) {
  size_t probed = 0;
  for (int bits : {16, 32, 48, 64, 128, 256}) {
    for (bool clustered : {true, false}) {
      const size_t n = 3001;
      PackedCodes db =
          clustered ? clustered_codes(n, bits, 20, 4, bits) : random_codes(n, bits, bits);
      PackedCodes q =
          clustered ? clustered_codes(25, bits, 20, 4, bits + 3) : random_codes(25, bits, bits + 3);
      const KnnResult all = hamming_knn_naive(db, q, n);
      for (int m : {0, (bits + 63) / 64, 2 + (bits + 63) / 64, std::min(bits / 8, 8)}) {
        MihIndex index(db, m, {2});
        index.set_budget_fraction(clustered ? 200 : 0.1);  // mostly the tables, or the model
        for (size_t k : {size_t{1}, size_t{5}, size_t{64}, size_t{1000}, n}) {
          SearchStats st;
          expect_same(index.search(q, k, &st), prefix(all, k),
                      "bits=" + std::to_string(bits) + " m=" + std::to_string(index.substrings()) +
                          " k=" + std::to_string(k) + " clustered=" + std::to_string(clustered));
          if (clustered && k <= 64 && bits <= 64) probed += st.probed;
        }
      }
    }
  }
  EXPECT_GT(probed, 0u);  // the table path itself was exercised
}

TEST(Mih, ExactDuplicatesAndQueriesInDatabase) {
  PackedCodes db = clustered_codes(5000, 64, 3, 1, 9);  // heavy duplication: huge tie groups
  PackedCodes q = db.slice(100, 30);
  MihIndex index(db);
  for (double budget : {1e4, 0.1, 0.0}) {
    index.set_budget_fraction(budget);
    for (size_t k : {size_t{1}, size_t{10}, size_t{777}}) {
      SearchStats st;
      const std::string ctx = "k=" + std::to_string(k) + " budget=" + std::to_string(budget);
      expect_same(index.search(q, k, &st), hamming_knn_naive(db, q, k), ctx);
      EXPECT_EQ(st.probed + st.fallback, q.size()) << ctx;
      if (budget > 1) {
        EXPECT_EQ(st.probed, q.size()) << ctx;  // all settled by the tables
      }
      if (budget == 0) {
        EXPECT_EQ(st.fallback, q.size()) << ctx;  // all handed to the scan
      }
    }
  }
}

// Spread codes with near neighbours, the way the benchmark makes them: 2,000 random base
// codes, each replicated 100 times with 2 random bits flipped; each query a base code with
// one bit flipped. The cost model keeps these queries on the tables; answers are the scan's.
TEST(Mih, CostModelProbesSpreadCodes) {
  const PackedCodes base = random_codes(2000, 64, 5);
  PackedCodes db(200000, 64), q(50, 64);
  std::mt19937_64 rng(6);
  for (size_t i = 0; i < db.size(); ++i) {
    uint64_t v = base.row(i % base.size())[0];
    for (int f = 0; f < 2; ++f) v ^= uint64_t{1} << (rng() % 64);
    db.mutable_data()[i] = v;
  }
  for (size_t i = 0; i < q.size(); ++i)
    q.mutable_data()[i] = base.row(i * 7)[0] ^ (uint64_t{1} << (rng() % 64));
  MihIndex index(db);
  SearchStats st;
  expect_same(index.search(q, 10, &st), hamming_knn(db, q, 10), "spread");
  EXPECT_GT(st.probed, q.size() / 2);
}

// Radius search through the tables and through the scan fallback equals the scan's.
TEST(Mih, RangeSearchMatchesScan) {
  for (int bits : {32, 64, 100}) {
    for (bool clustered : {true, false}) {
      PackedCodes db =
          clustered ? clustered_codes(4000, bits, 30, 3, bits) : random_codes(4000, bits, bits);
      PackedCodes q = clustered ? clustered_codes(20, bits, 30, 3, bits + 7) : db.slice(10, 20);
      for (int m : {0, 2, 4}) {
        MihIndex index(db, std::max(m, (bits + 63) / 64));
        for (double budget : {200.0, 0.0})
          for (int r : {0, 1, 3, 8, bits}) {
            index.set_budget_fraction(budget);
            const RangeResult want = hamming_radius(db, q, r);
            const RangeResult got = index.range_search(q, r);
            const std::string ctx = "bits=" + std::to_string(bits) +
                                    " m=" + std::to_string(index.substrings()) +
                                    " r=" + std::to_string(r);
            EXPECT_EQ(got.lims, want.lims) << ctx;
            EXPECT_EQ(got.ids, want.ids) << ctx;
            EXPECT_EQ(got.dist, want.dist) << ctx;
          }
      }
    }
  }
}

TEST(Mih, DefaultSubstringsAndErrors) {
  EXPECT_EQ(mih_default_substrings(64, 10000000), 3);
  EXPECT_EQ(mih_default_substrings(64, 1000000), 3);
  EXPECT_EQ(mih_default_substrings(256, 100), 39);
  EXPECT_EQ(mih_default_substrings(128, 2), 128);
  PackedCodes db = random_codes(100, 128, 1);
  EXPECT_THROW(MihIndex(db, 1), std::invalid_argument);
  MihIndex index(db, 4);
  EXPECT_THROW(index.search(random_codes(2, 64, 1), 1), std::invalid_argument);
  EXPECT_THROW(index.search(random_codes(2, 128, 1), 101), std::invalid_argument);
  EXPECT_THROW(index.range_search(random_codes(2, 128, 1), -1), std::invalid_argument);
}
