// The fused hashing kernels on CUDA against the CPU reference (kernels/hash.h).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "cuda_test_util.h"
#include "kernels/hash.h"

#ifdef ENGINE_HAVE_CUDA
namespace he {
namespace {

using testing::DeviceBuffer;

template <class T>
std::vector<T> random_values(size_t n, std::mt19937_64& rng, double zero_fraction) {
  std::normal_distribution<double> normal(0.0, 1.5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<T> v(n);
  for (auto& x : v) x = u(rng) < zero_fraction ? T(0) : static_cast<T>(normal(rng));
  return v;
}

template <class T>
void check_sign_pack(uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (int64_t n : {1, 7, 1000})
    for (int64_t bits : {1, 12, 63, 64, 65, 130, 512}) {
      const std::string ctx = "n=" + std::to_string(n) + " bits=" + std::to_string(bits);
      const int64_t words = (bits + 63) / 64;
      auto h = random_values<T>(n * bits, rng, 0.05);  // exact zeros: sign(0) = +1
      std::vector<T> b_ref(n * bits);
      std::vector<uint64_t> p_ref(n * words);
      const double err_ref = kernels::cpu::sign_pack(h.data(), b_ref.data(), p_ref.data(), n, bits);

      DeviceBuffer<T> dh(h), db(n * bits, T(7));
      DeviceBuffer<uint64_t> dp(n * words, 0xdeadbeefdeadbeefull);
      const double err = kernels::cuda::sign_pack(dh.get(), db.get(), dp.get(), n, bits);
      EXPECT_EQ(db.download(), b_ref) << ctx;
      EXPECT_EQ(dp.download(), p_ref) << ctx;
      EXPECT_NEAR(err, err_ref, 1e-9 * std::max(1.0, err_ref)) << ctx;

      DeviceBuffer<T> db2(n * bits, T(7));  // no packed output
      const double err2 = kernels::cuda::sign_pack<T>(dh.get(), db2.get(), nullptr, n, bits);
      EXPECT_EQ(db2.download(), b_ref) << ctx;
      EXPECT_EQ(err2, err) << ctx << " (the error's summation order is fixed)";
    }
}

TEST(CudaHash, SignPackMatchesCpu) {
  HE_REQUIRE_CUDA();
  const uint64_t seed = testing::test_seed("CudaHash.SignPackMatchesCpu");
  check_sign_pack<float>(seed);
  check_sign_pack<double>(seed + 1);
}

template <class T>
void check_ste_and_continuation(uint64_t seed, double tol) {
  std::mt19937_64 rng(seed);
  for (int64_t count : {1, 1000, 100003}) {
    auto h = random_values<T>(count, rng, 0.0);
    auto g = random_values<T>(count, rng, 0.0);
    h[0] = T(1);  // the clipping boundary is inside
    DeviceBuffer<T> dh(h), dg(g);
    for (bool clipped : {false, true}) {
      std::vector<T> ref(count);
      kernels::cpu::sign_ste_backward(g.data(), h.data(), ref.data(), count, clipped);
      DeviceBuffer<T> out(count, T(-777));
      kernels::cuda::sign_ste_backward(dg.get(), dh.get(), out.get(), count, clipped);
      EXPECT_EQ(out.download(), ref) << "count=" << count << " clipped=" << clipped;
    }
    for (double beta : {0.1, 1.0, 7.5}) {
      std::vector<T> y_ref(count), dx_ref(count);
      kernels::cpu::continuation_forward(h.data(), y_ref.data(), count, beta);
      kernels::cpu::continuation_backward(g.data(), y_ref.data(), dx_ref.data(), count, beta);
      DeviceBuffer<T> y(count, T(-777)), dx(count, T(-777));
      kernels::cuda::continuation_forward(dh.get(), y.get(), count, beta);
      DeviceBuffer<T> dy(y_ref);  // backward from the same y on both sides
      kernels::cuda::continuation_backward(dg.get(), dy.get(), dx.get(), count, beta);
      auto yv = y.download(), dxv = dx.download();
      for (int64_t i = 0; i < count; ++i) {
        ASSERT_NEAR(yv[i], y_ref[i], tol) << "y at " << i << " beta=" << beta;
        ASSERT_NEAR(dxv[i], dx_ref[i], tol * (1 + std::abs(g[i]) * beta)) << "dx at " << i;
      }
    }
  }
}

TEST(CudaHash, SteBackwardAndContinuationMatchCpu) {
  HE_REQUIRE_CUDA();
  const uint64_t seed = testing::test_seed("CudaHash.SteBackwardAndContinuationMatchCpu");
  check_ste_and_continuation<float>(seed, 2e-6);
  check_ste_and_continuation<double>(seed + 1, 1e-14);
}

}  // namespace
}  // namespace he
#else
TEST(CudaHash, SkippedWithoutCuda) { GTEST_SKIP() << "built without CUDA"; }
#endif
