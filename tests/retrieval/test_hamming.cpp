// Exhaustive Hamming k-NN / radius against the naive scan + stable sort, every ISA.
#include <gtest/gtest.h>

#include "retrieval/hamming_search.h"
#include "test_util.h"

using namespace he::retrieval;
using he::kernels::cpu::HammingIsa;
using he::retrieval::testing::clustered_codes;
using he::retrieval::testing::random_codes;

namespace {

std::vector<HammingIsa> isas() {
  std::vector<HammingIsa> v;
  for (auto i : {HammingIsa::Scalar, HammingIsa::Popcnt, HammingIsa::Avx2, HammingIsa::Avx512})
    if (he::kernels::cpu::hamming_isa_supported(i)) v.push_back(i);
  return v;
}

void expect_same(const KnnResult& a, const KnnResult& b, const std::string& ctx) {
  ASSERT_EQ(a.ids.size(), b.ids.size()) << ctx;
  for (size_t i = 0; i < a.ids.size(); ++i) {
    ASSERT_EQ(a.dist[i], b.dist[i]) << ctx << " at " << i;
    ASSERT_EQ(a.ids[i], b.ids[i]) << ctx << " at " << i;
  }
}

}  // namespace

TEST(HammingKnn, MatchesNaiveAllLengthsAndK) {
  for (int bits : {16, 32, 48, 64, 128, 192, 256}) {
    for (bool clustered : {false, true}) {
      const size_t n = 1237, nq = 19;
      PackedCodes db =
          clustered ? clustered_codes(n, bits, 7, 3, bits) : random_codes(n, bits, bits);
      PackedCodes q =
          clustered ? clustered_codes(nq, bits, 7, 3, bits + 1) : random_codes(nq, bits, bits + 1);
      for (size_t k : {size_t{1}, size_t{2}, size_t{10}, size_t{100}, size_t{154}, size_t{155},
                       size_t{999}, n}) {
        KnnResult ref = hamming_knn_naive(db, q, k);
        for (auto isa : isas()) {
          for (int threads : {1, 2}) {
            if (threads == 1 && isa != he::kernels::cpu::hamming_best_isa()) continue;
            KnnResult got = hamming_knn(db, q, k, {threads, isa});
            expect_same(got, ref,
                        "bits=" + std::to_string(bits) + " k=" + std::to_string(k) +
                            " isa=" + he::kernels::cpu::hamming_isa_name(isa) +
                            " clustered=" + std::to_string(clustered));
          }
        }
      }
    }
  }
}

TEST(HammingKnn, ManyQueriesLargeDbBlocks) {
  // More queries than one tile and a database spanning several blocks (not a multiple).
  for (int bits : {64, 128, 256}) {
    PackedCodes db = clustered_codes(40001, bits, 50, 6, 3);
    PackedCodes q = clustered_codes(150, bits, 50, 6, 4);
    KnnResult ref = hamming_knn_naive(db, q, 37);
    for (auto isa : isas())
      expect_same(hamming_knn(db, q, 37, {2, isa}), ref, "bits=" + std::to_string(bits));
  }
}

TEST(HammingKnn, RejectsBadArguments) {
  PackedCodes db = random_codes(10, 64, 1), q = random_codes(2, 64, 2),
              q32 = random_codes(2, 32, 2);
  EXPECT_THROW(hamming_knn(db, q, 0), std::invalid_argument);
  EXPECT_THROW(hamming_knn(db, q, 11), std::invalid_argument);
  EXPECT_THROW(hamming_knn(db, q32, 1), std::invalid_argument);
}

TEST(HammingRadius, MatchesNaive) {
  for (int bits : {16, 32, 48, 64, 128, 256}) {
    PackedCodes db = clustered_codes(3001, bits, 11, 4, bits);
    PackedCodes q = clustered_codes(70, bits, 11, 4, bits + 7);
    KnnResult all = hamming_knn_naive(db, q, db.size());
    for (int r : {0, 1, 3, bits / 4, bits / 2, bits}) {
      for (auto isa : isas()) {
        RangeResult got = hamming_radius(db, q, r, {2, isa});
        ASSERT_EQ(got.lims.size(), q.size() + 1);
        for (size_t i = 0; i < q.size(); ++i) {
          std::vector<int64_t> ids;
          std::vector<int32_t> d;
          for (size_t j = 0; j < db.size() && all.dist[i * db.size() + j] <= r; ++j) {
            ids.push_back(all.ids[i * db.size() + j]);
            d.push_back(all.dist[i * db.size() + j]);
          }
          std::vector<int64_t> gi(got.ids.begin() + got.lims[i], got.ids.begin() + got.lims[i + 1]);
          std::vector<int32_t> gd(got.dist.begin() + got.lims[i],
                                  got.dist.begin() + got.lims[i + 1]);
          ASSERT_EQ(gi, ids) << "bits=" << bits << " r=" << r << " q=" << i;
          ASSERT_EQ(gd, d);
        }
      }
    }
  }
}

TEST(HammingSum, MatchesNaive) {
  for (int bits : {32, 64, 128, 256, 320}) {
    PackedCodes db = random_codes(2050, bits, 5), q = random_codes(13, bits, 6);
    KnnResult all = hamming_knn_naive(db, q, db.size());
    uint64_t s = 0;
    for (int32_t d : all.dist) s += d;
    // padded query slots are zero codes: add their distances to the reference
    size_t pad = (8 - q.size() % 8) % 8;
    PackedCodes z(1, bits);
    KnnResult zr = hamming_knn_naive(db, z, db.size());
    for (int32_t d : zr.dist) s += pad * d;
    for (auto isa : isas()) EXPECT_EQ(hamming_distance_sum(db, q, {2, isa}), s) << bits;
  }
}

TEST(HammingRadius, FewQueriesSplitTheDatabase) {
  // 3 queries over 3 blocks of codes: the database is split across threads and merged.
  PackedCodes db = clustered_codes(50001, 64, 9, 5, 11), q = clustered_codes(3, 64, 9, 5, 12);
  KnnResult all = hamming_knn_naive(db, q, db.size());
  for (auto isa : isas()) {
    RangeResult got = hamming_radius(db, q, 3, {2, isa});
    for (size_t i = 0; i < q.size(); ++i) {
      size_t j = 0;
      for (int64_t p = got.lims[i]; p < got.lims[i + 1]; ++p, ++j) {
        ASSERT_EQ(got.ids[p], all.ids[i * db.size() + j]);
        ASSERT_EQ(got.dist[p], all.dist[i * db.size() + j]);
      }
      EXPECT_TRUE(j == db.size() || all.dist[i * db.size() + j] > 3);
    }
  }
}

TEST(HammingMatrix, DistancesAndRankRow) {
  PackedCodes db = random_codes(333, 200, 1), q = random_codes(5, 200, 2);
  he::kernels::cpu::HammingArgs a = hamming_args(db, q, {}, "test");
  std::vector<int32_t> m(q.size() * db.size(), -1);  // sentinel: every cell must be written
  he::kernels::cpu::hamming_distance_matrix(a, m.data());
  KnnResult all = hamming_knn_naive(db, q, db.size());
  for (size_t i = 0; i < q.size(); ++i) {
    for (size_t j = 0; j < db.size(); ++j)
      ASSERT_EQ(m[i * db.size() + all.ids[i * db.size() + j]], all.dist[i * db.size() + j]);
    std::vector<uint16_t> d(m.begin() + i * db.size(), m.begin() + (i + 1) * db.size());
    std::vector<uint32_t> order(db.size()), counts(202);
    he::kernels::cpu::hamming_rank_row(d.data(), d.size(), 200, order.data(), counts.data());
    for (size_t j = 0; j < db.size(); ++j) ASSERT_EQ(order[j], all.ids[i * db.size() + j]);
  }
}
