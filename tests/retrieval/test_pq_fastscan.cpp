// 8-bit blocked ADC scan: every SIMD path gives the scalar reference's sums bit for bit, and
// the reference sums the tables of the codes in order.
// 8-bit scan on u8 tables: the scalar reference sums the tables of the codes, and the AVX-512
// VBMI path makes exactly its sink calls.
// 4-bit fast scan: the packed layout round-trips, the scalar reference sums the tables of the
// unpacked codes, and every SIMD path makes exactly the reference's sink calls, with fixed
// thresholds and with thresholds that drop as candidates arrive.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "kernels/pq.h"

namespace kc = he::kernels::cpu;

namespace {

struct Call {
  int q;
  size_t code;
  uint16_t d;
  bool operator==(const Call&) const = default;
};

// Records every call; with `shrink` each accepted call sets the threshold to the distance,
// so the thresholds drop the way a top-1 search's do.
struct RecordingSink final : kc::PqSink {
  std::vector<Call> calls;
  bool shrink = false;
  void push(int q, size_t code, uint16_t d) override {
    calls.push_back({q, code, d});
    if (shrink) thr[q] = d;
  }
};

std::vector<Call> run(kc::PqIsa isa, const std::vector<uint8_t>& lut, size_t nq,
                      const std::vector<uint8_t>& packed, size_t mp, size_t n, bool shrink,
                      uint16_t thr) {
  RecordingSink s;
  s.shrink = shrink;
  for (auto& t : s.thr) t = thr;
  kc::pq4_scan(lut.data(), nq, packed.data(), mp, 0, kc::pq4_blocks(n), n, s, isa);
  return s.calls;
}

std::vector<Call> run8(kc::PqIsa isa, const std::vector<uint8_t>& lut, size_t nq,
                       const std::vector<uint8_t>& packed, size_t m, size_t b0, size_t n,
                       bool shrink, uint16_t thr) {
  RecordingSink s;
  s.shrink = shrink;
  for (auto& t : s.thr) t = thr;
  kc::pq8_u8_scan(lut.data(), nq, packed.data(), m, b0, kc::pq8_blocks(n), n, s, isa);
  return s.calls;
}

}  // namespace

TEST(KernelsPq4, PackUnpackRoundTripAndScalarSums) {
  std::mt19937 rng(1);
  for (size_t m : {1, 3, 4, 16, 17}) {
    const size_t n = 77, mp = kc::pq4_padded_m(m);
    std::vector<uint8_t> codes(n * m), lut(mp * 16), packed(kc::pq4_blocks(n) * mp * 16), one(m);
    for (auto& c : codes) c = rng() % 16;
    for (size_t j = 0; j < m * 16; ++j) lut[j] = rng() % 256;
    kc::pq4_pack(codes.data(), n, m, packed.data());
    std::vector<Call> calls = run(kc::PqIsa::Scalar, lut, 1, packed, mp, n, false, 65535);
    ASSERT_EQ(calls.size(), n);
    for (size_t i = 0; i < n; ++i) {
      kc::pq4_unpack_one(packed.data(), i, m, one.data());
      uint32_t want = 0;
      for (size_t j = 0; j < m; ++j) {
        ASSERT_EQ(one[j], codes[i * m + j]);
        want += lut[j * 16 + codes[i * m + j]];
      }
      EXPECT_EQ(calls[i], (Call{0, i, static_cast<uint16_t>(want)}));
    }
  }
}

TEST(KernelsPq4, SimdPathsEqualTheScalarReference) {
  std::mt19937 rng(2);
  int checked = 0;
  for (kc::PqIsa isa : {kc::PqIsa::Avx2, kc::PqIsa::Avx512}) {
    if (!kc::pq_isa_supported(isa)) continue;
    for (size_t m : {4, 8, 12, 16, 32, 64, 256}) {
      for (size_t n : {1, 31, 32, 33, 1000}) {
        const size_t mp = kc::pq4_padded_m(m), nq = 1 + rng() % kc::kPqMaxQueries;
        std::vector<uint8_t> codes(n * m), lut(nq * mp * 16), packed(kc::pq4_blocks(n) * mp * 16);
        for (auto& c : codes) c = rng() % 16;
        for (auto& v : lut) v = rng() % 256;  // all 255 at m = 256 tests the u16 range
        if (m == 256) std::fill(lut.begin(), lut.end(), uint8_t{255});
        kc::pq4_pack(codes.data(), n, m, packed.data());
        for (bool shrink : {false, true})
          for (uint16_t thr : {uint16_t{65535}, uint16_t{0}, static_cast<uint16_t>(m * 100)}) {
            auto want = run(kc::PqIsa::Scalar, lut, nq, packed, mp, n, shrink, thr);
            ASSERT_EQ(run(isa, lut, nq, packed, mp, n, shrink, thr), want)
                << kc::pq_isa_name(isa) << " m=" << m << " n=" << n << " nq=" << nq;
          }
        ++checked;
      }
    }
  }
  if (checked == 0) GTEST_SKIP() << "no AVX2 / AVX-512 on this CPU";
}

TEST(KernelsPq4, BadArgumentsThrow) {
  std::vector<uint8_t> codes = {16}, packed(64), lut(64);
  EXPECT_THROW(kc::pq4_pack(codes.data(), 1, 1, packed.data()), std::invalid_argument);
  RecordingSink s;
  EXPECT_THROW(kc::pq4_scan(lut.data(), 5, packed.data(), 4, 0, 1, 1, s), std::invalid_argument);
  EXPECT_THROW(kc::pq4_scan(lut.data(), 1, packed.data(), 3, 0, 1, 1, s), std::invalid_argument);
}

TEST(KernelsPq8, SimdPathsEqualTheScalarReference) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(0.0f, 10.0f);
  for (size_t m : {1, 3, 8, 16, 33}) {
    for (size_t n : {1, 63, 64, 65, 500}) {
      const size_t nq = 1 + rng() % 7, blocks = kc::pq8_blocks(n);
      std::vector<uint8_t> codes(n * m), packed(blocks * m * kc::kPq8Block);
      std::vector<float> luts(nq * m * 256);
      for (auto& c : codes) c = static_cast<uint8_t>(rng());
      for (auto& v : luts) v = u(rng);
      kc::pq8_pack(codes.data(), n, m, packed.data());
      const size_t b0 = blocks > 2 ? 1 : 0;  // a block range not starting at 0
      const size_t width = (blocks - b0) * kc::kPq8Block;
      std::vector<float> want(nq * width, -1.0f);
      kc::pq8_adc_scan(luts.data(), nq, packed.data(), m, b0, blocks, want.data(),
                       kc::PqIsa::Scalar);
      for (size_t q = 0; q < nq; ++q)
        for (size_t i = b0 * kc::kPq8Block; i < n; ++i) {
          float acc = 0;
          for (size_t j = 0; j < m; ++j) acc += luts[q * m * 256 + j * 256 + codes[i * m + j]];
          ASSERT_EQ(want[q * width + i - b0 * kc::kPq8Block], acc);
        }
      for (kc::PqIsa isa : {kc::PqIsa::Avx2, kc::PqIsa::Avx512}) {
        if (!kc::pq_isa_supported(isa)) continue;
        std::vector<float> got(nq * width, -2.0f);
        kc::pq8_adc_scan(luts.data(), nq, packed.data(), m, b0, blocks, got.data(), isa);
        ASSERT_EQ(got, want) << kc::pq_isa_name(isa) << " m=" << m << " n=" << n;
      }
    }
  }
}

TEST(KernelsPq8U8, ScalarSumsTheTablesOfTheCodes) {
  std::mt19937 rng(4);
  const size_t n = 130, m = 5, nq = 2;
  std::vector<uint8_t> codes(n * m), lut(nq * m * 256), packed(kc::pq8_blocks(n) * m * 64);
  for (auto& c : codes) c = static_cast<uint8_t>(rng());
  for (auto& v : lut) v = static_cast<uint8_t>(rng());
  kc::pq8_pack(codes.data(), n, m, packed.data());
  std::vector<Call> calls = run8(kc::PqIsa::Scalar, lut, nq, packed, m, 0, n, false, 65535);
  ASSERT_EQ(calls.size(), n * nq);
  size_t c = 0;
  for (size_t b = 0; b < kc::pq8_blocks(n); ++b)  // per block, per query, ascending code
    for (size_t q = 0; q < nq; ++q)
      for (size_t i = b * 64; i < std::min(n, (b + 1) * 64); ++i, ++c) {
        uint32_t want = 0;
        for (size_t j = 0; j < m; ++j) want += lut[q * m * 256 + j * 256 + codes[i * m + j]];
        ASSERT_EQ(calls[c], (Call{static_cast<int>(q), i, static_cast<uint16_t>(want)}));
      }
}

TEST(KernelsPq8U8, Avx512PathEqualsTheScalarReference) {
  if (!kc::pq8_u8_supported(kc::PqIsa::Avx512)) GTEST_SKIP() << "no AVX-512 VBMI on this CPU";
  std::mt19937 rng(5);
  for (size_t m : {1, 3, 8, 16, 33, 256}) {
    for (size_t n : {1, 63, 64, 65, 1000}) {
      const size_t nq = 1 + rng() % kc::kPqMaxQueries, blocks = kc::pq8_blocks(n);
      std::vector<uint8_t> codes(n * m), lut(nq * m * 256), packed(blocks * m * 64);
      for (auto& c : codes) c = static_cast<uint8_t>(rng());
      for (auto& v : lut) v = static_cast<uint8_t>(rng());
      if (m == 256) std::fill(lut.begin(), lut.end(), uint8_t{255});  // the u16 range's edge
      kc::pq8_pack(codes.data(), n, m, packed.data());
      const size_t b0 = blocks > 2 ? 1 : 0;  // a block range not starting at 0
      for (bool shrink : {false, true})
        for (uint16_t thr : {uint16_t{65535}, uint16_t{0}, static_cast<uint16_t>(m * 120)}) {
          auto want = run8(kc::PqIsa::Scalar, lut, nq, packed, m, b0, n, shrink, thr);
          ASSERT_EQ(run8(kc::PqIsa::Avx512, lut, nq, packed, m, b0, n, shrink, thr), want)
              << "m=" << m << " n=" << n << " nq=" << nq << " thr=" << thr;
        }
    }
  }
}

TEST(KernelsPq8U8, BadArgumentsThrow) {
  std::vector<uint8_t> packed(64 * 257), lut(4 * 257 * 256);
  RecordingSink s;
  EXPECT_THROW(kc::pq8_u8_scan(lut.data(), 5, packed.data(), 4, 0, 1, 1, s), std::invalid_argument);
  EXPECT_THROW(kc::pq8_u8_scan(lut.data(), 1, packed.data(), 257, 0, 1, 1, s),
               std::invalid_argument);
  EXPECT_THROW(kc::pq8_u8_scan(lut.data(), 1, packed.data(), 4, 0, 1, 1, s, kc::PqIsa::Avx2),
               std::invalid_argument);
}
