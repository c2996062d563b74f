// Multi-index hashing must return exactly the exhaustive result (ties by id included).
#include <gtest/gtest.h>

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
        MihIndex index(db, m);
        for (size_t k : {size_t{1}, size_t{5}, size_t{64}, size_t{1000}, n}) {
          MihStats st;
          expect_same(index.knn(q, k, {2}, &st), prefix(all, k),
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
  for (size_t k : {size_t{1}, size_t{10}, size_t{777}}) {
    MihStats st;
    expect_same(index.knn(q, k, {}, &st), hamming_knn_naive(db, q, k), "k=" + std::to_string(k));
    EXPECT_EQ(st.probed, q.size());  // settled by the tables, not by the fallback scan
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
  EXPECT_THROW(index.knn(random_codes(2, 64, 1), 1), std::invalid_argument);
  EXPECT_THROW(index.knn(random_codes(2, 128, 1), 101), std::invalid_argument);
}
