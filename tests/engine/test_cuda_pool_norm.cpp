// CUDA pooling, batch norm and dropout (kernels/pool.h, norm.h, dropout.h) against the CPU on
// random inputs, forward and backward, f32 and f64. Max pooling and dropout must match bit
// for bit; the rest within a tolerance.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "cuda_test_util.h"
#include "kernels/dropout.h"
#include "kernels/norm.h"
#include "kernels/pool.h"

#ifdef ENGINE_HAVE_CUDA
namespace he {
namespace {

using kernels::PoolGeom;
using testing::DeviceBuffer;

template <class T>
std::vector<T> normal(int64_t n, std::mt19937_64& rng, double mean = 0, double sd = 1) {
  std::normal_distribution<double> d(mean, sd);
  std::vector<T> v(static_cast<size_t>(n));
  for (auto& x : v) x = static_cast<T>(d(rng));
  return v;
}

template <class T>
void expect_close(const std::vector<T>& got, const std::vector<T>& ref, const std::string& what) {
  const double tol = std::is_same_v<T, float> ? 5e-5 : 1e-11;
  ASSERT_EQ(got.size(), ref.size()) << what;
  for (size_t i = 0; i < ref.size(); ++i)
    ASSERT_NEAR(got[i], ref[i], tol * (1 + std::abs(ref[i]))) << what << " at " << i;
}

PoolGeom pool_geom(int64_t planes, int64_t h, int64_t w, int64_t k, int64_t stride, int64_t pad) {
  return {planes, h,      w,  (h + 2 * pad - k) / stride + 1, (w + 2 * pad - k) / stride + 1,
          k,      stride, pad};
}
const PoolGeom kPools[] = {pool_geom(6, 8, 10, 2, 2, 0), pool_geom(5, 9, 7, 3, 2, 1),
                           pool_geom(4, 6, 6, 3, 1, 1), pool_geom(3, 11, 5, 4, 3, 2)};

template <class T>
void check_pools(std::mt19937_64& rng) {
  for (const PoolGeom& g : kPools) {
    const int64_t nx = g.planes * g.h * g.w, ny = g.planes * g.oh * g.ow;
    const std::string at = std::string("k") + std::to_string(g.k) + " s" +
                           std::to_string(g.stride) + " p" + std::to_string(g.pad);
    auto x = normal<T>(nx, rng), gy = normal<T>(ny, rng);
    std::vector<T> y(ny), gx(nx), ay(ny), agx(nx);
    std::vector<int64_t> idx(ny);
    kernels::cpu::max_pool2d(g, x.data(), y.data(), idx.data());
    kernels::cpu::max_pool2d_backward(g, gy.data(), idx.data(), gx.data());
    kernels::cpu::avg_pool2d(g, x.data(), ay.data());
    kernels::cpu::avg_pool2d_backward(g, gy.data(), agx.data());

    DeviceBuffer<T> dx(x), dgy(gy), dy(ny, T(-7)), dgx(nx, T(-7)), day(ny, T(-7)), dagx(nx, T(-7));
    DeviceBuffer<int64_t> didx(ny, -7);
    kernels::cuda::max_pool2d(g, dx.get(), dy.get(), didx.get());
    kernels::cuda::max_pool2d_backward(g, dgy.get(), didx.get(), dgx.get());
    kernels::cuda::avg_pool2d(g, dx.get(), day.get());
    kernels::cuda::avg_pool2d_backward(g, dgy.get(), dagx.get());
    EXPECT_EQ(dy.download(), y) << "max " << at;
    EXPECT_EQ(didx.download(), idx) << "max argmax " << at;
    EXPECT_EQ(dgx.download(), gx) << "max backward " << at;
    expect_close(day.download(), ay, "avg " + at);
    expect_close(dagx.download(), agx, "avg backward " + at);
  }
}

// (h, w) -> (oh, ow): even square windows (cuDNN), uneven ones, and more outputs than inputs.
template <class T>
void check_adaptive(std::mt19937_64& rng) {
  struct Case {
    int64_t h, w, oh, ow;
  };
  for (Case c : {Case{12, 12, 3, 3}, Case{7, 7, 1, 1}, Case{10, 9, 4, 3}, Case{5, 7, 3, 4},
                 Case{3, 4, 7, 6}, Case{6, 6, 6, 6}}) {
    const int64_t planes = 5, nx = planes * c.h * c.w, ny = planes * c.oh * c.ow;
    const std::string at = std::to_string(c.h) + "x" + std::to_string(c.w) + " -> " +
                           std::to_string(c.oh) + "x" + std::to_string(c.ow);
    auto x = normal<T>(nx, rng), gy = normal<T>(ny, rng);
    std::vector<T> y(ny), gx(nx);
    kernels::cpu::adaptive_avg_pool2d(planes, c.h, c.w, c.oh, c.ow, x.data(), y.data());
    kernels::cpu::adaptive_avg_pool2d_backward(planes, c.h, c.w, c.oh, c.ow, gy.data(), gx.data());
    DeviceBuffer<T> dx(x), dgy(gy), dy(ny, T(-7)), dgx(nx, T(-7));
    kernels::cuda::adaptive_avg_pool2d(planes, c.h, c.w, c.oh, c.ow, dx.get(), dy.get());
    kernels::cuda::adaptive_avg_pool2d_backward(planes, c.h, c.w, c.oh, c.ow, dgy.get(), dgx.get());
    expect_close(dy.download(), y, "adaptive " + at);
    expect_close(dgx.download(), gx, "adaptive backward " + at);
  }
}

TEST(CudaPool, MaxAndAverageMatchCpu) {
  HE_REQUIRE_CUDA();
  std::mt19937_64 rng(testing::test_seed("CudaPool.MaxAndAverageMatchCpu"));
  check_pools<float>(rng);
  check_pools<double>(rng);
}

TEST(CudaPool, AdaptiveAverageMatchesCpu) {
  HE_REQUIRE_CUDA();
  std::mt19937_64 rng(testing::test_seed("CudaPool.AdaptiveAverageMatchesCpu"));
  check_adaptive<float>(rng);
  check_adaptive<double>(rng);
}

// Batch norm over (n, c, s), with and without the affine parameters; the statistics of a
// shifted, scaled input (mean 3, sd 2) so that a one-pass variance would show.
template <class T>
void check_batch_norm(int64_t n, int64_t c, int64_t s, bool affine, std::mt19937_64& rng) {
  const int64_t e = n * c * s;
  const std::string at = std::to_string(n) + "x" + std::to_string(c) + "x" + std::to_string(s) +
                         (affine ? " affine" : " plain");
  auto x = normal<T>(e, rng, 3, 2), w = normal<T>(c, rng), b = normal<T>(c, rng);
  auto dy = normal<T>(e, rng);
  const T* wp = affine ? w.data() : nullptr;
  const T* bp = affine ? b.data() : nullptr;
  std::vector<T> y(e), mean(c), invstd(c), var(c), dx(e), dw(c), db(c);
  kernels::cpu::batch_norm_train(x.data(), wp, bp, y.data(), mean.data(), invstd.data(), var.data(),
                                 n, c, s, 1e-5);
  kernels::cpu::batch_norm_backward(dy.data(), x.data(), wp, mean.data(), invstd.data(), dx.data(),
                                    dw.data(), db.data(), n, c, s, 1e-5);

  DeviceBuffer<T> d_x(x), d_w(w), d_b(b), d_dy(dy), d_y(e, T(-7)), d_mean(c, T(-7)),
      d_invstd(c, T(-7)), d_var(c, T(-7)), d_dx(e, T(-7)), d_dw(c, T(-7)), d_db(c, T(-7));
  kernels::cuda::batch_norm_train(d_x.get(), affine ? d_w.get() : nullptr,
                                  affine ? d_b.get() : nullptr, d_y.get(), d_mean.get(),
                                  d_invstd.get(), d_var.get(), n, c, s, 1e-5);
  // The backward reads the CUDA forward's statistics, as the op does.
  kernels::cuda::batch_norm_backward(d_dy.get(), d_x.get(), affine ? d_w.get() : nullptr,
                                     d_mean.get(), d_invstd.get(), d_dx.get(), d_dw.get(),
                                     d_db.get(), n, c, s, 1e-5);
  expect_close(d_y.download(), y, "bn y " + at);
  expect_close(d_mean.download(), mean, "bn mean " + at);
  expect_close(d_invstd.download(), invstd, "bn invstd " + at);
  expect_close(d_var.download(), var, "bn var " + at);
  expect_close(d_dx.download(), dx, "bn dx " + at);
  expect_close(d_dw.download(), dw, "bn dw " + at);
  expect_close(d_db.download(), db, "bn db " + at);

  // Only dx wanted: dw and db are not written.
  DeviceBuffer<T> d_dx2(e, T(-7)), untouched(c, T(-7));
  kernels::cuda::batch_norm_backward(
      d_dy.get(), d_x.get(), affine ? d_w.get() : nullptr, d_mean.get(), d_invstd.get(),
      d_dx2.get(), static_cast<T*>(nullptr), static_cast<T*>(nullptr), n, c, s, 1e-5);
  expect_close(d_dx2.download(), dx, "bn dx alone " + at);
  EXPECT_EQ(untouched.download(), std::vector<T>(c, T(-7)));
}

TEST(CudaNorm, BatchNormMatchesCpu) {
  HE_REQUIRE_CUDA();
  std::mt19937_64 rng(testing::test_seed("CudaNorm.BatchNormMatchesCpu"));
  for (bool affine : {true, false}) {
    check_batch_norm<float>(8, 5, 49, affine, rng);
    check_batch_norm<double>(8, 5, 49, affine, rng);
    check_batch_norm<float>(32, 7, 1, affine, rng);  // (N, C) input
    check_batch_norm<double>(3, 4, 1000, affine, rng);
  }
}

template <class T>
void check_channel_ops(std::mt19937_64& rng) {
  const int64_t n = 6, c = 9, s = 37, e = n * c * s;
  auto x = normal<T>(e, rng), scale = normal<T>(c, rng), shift = normal<T>(c, rng);
  std::vector<T> sum(c), y(e);
  kernels::cpu::channel_sum(x.data(), sum.data(), n, c, s);
  kernels::cpu::channel_affine(x.data(), scale.data(), shift.data(), y.data(), n, c, s);
  DeviceBuffer<T> dx(x), dscale(scale), dshift(shift), dsum(c, T(-7)), dy(e, T(-7));
  kernels::cuda::channel_sum(dx.get(), dsum.get(), n, c, s);
  kernels::cuda::channel_affine(dx.get(), dscale.get(), dshift.get(), dy.get(), n, c, s);
  expect_close(dsum.download(), sum, "channel_sum");
  expect_close(dy.download(), y, "channel_affine");
}

TEST(CudaNorm, ChannelSumAndAffineMatchCpu) {
  HE_REQUIRE_CUDA();
  std::mt19937_64 rng(testing::test_seed("CudaNorm.ChannelSumAndAffineMatchCpu"));
  check_channel_ops<float>(rng);
  check_channel_ops<double>(rng);
}

// One (key, first counter) gives the same mask on both devices, bit for bit.
template <class T>
void check_dropout(uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (int64_t n : {int64_t{1}, int64_t{1000}, int64_t{300001}}) {
    auto x = normal<T>(n, rng);
    const uint64_t key = rng(), first = rng() >> 8;
    const double keep = 0.7;
    const T scale = static_cast<T>(1 / keep);
    std::vector<T> y(n), mask(n);
    kernels::cpu::dropout(x.data(), y.data(), mask.data(), n, key, first, keep, scale);
    DeviceBuffer<T> dx(x), dy(n, T(-7)), dmask(n, T(-7));
    kernels::cuda::dropout(dx.get(), dy.get(), dmask.get(), n, key, first, keep, scale);
    EXPECT_EQ(dmask.download(), mask) << "n=" << n;
    EXPECT_EQ(dy.download(), y) << "n=" << n;
  }
}

TEST(CudaDropout, MasksEqualAcrossDevices) {
  HE_REQUIRE_CUDA();
  const uint64_t seed = testing::test_seed("CudaDropout.MasksEqualAcrossDevices");
  check_dropout<float>(seed);
  check_dropout<double>(seed + 1);
}

}  // namespace
}  // namespace he
#else
TEST(CudaPool, SkippedWithoutCuda) { GTEST_SKIP() << "built without CUDA"; }
#endif
