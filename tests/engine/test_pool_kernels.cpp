// The CPU max-pool kernel (kernels/cpu/pool.cpp) against a naive scan on random planes with
// many ties: values and argmax positions, for the widths that exercise the AVX-512 2x2 path's
// masked tails (odd widths, 1 to 3 vector steps per row) and for f64 (the scalar loop). With
// NaN in the planes the f32 path must agree with the f64 one. The 2x2 backward (one write per
// input, no scatter) equals the scatter of the output gradients to the argmax positions, odd
// last rows and columns zero.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/pool.h"

namespace he::kernels::cpu {
namespace {

// The first maximum in scan order of each window.
template <class T>
void naive_max_pool(const PoolGeom& g, const std::vector<T>& x, std::vector<T>& y,
                    std::vector<int64_t>& idx) {
  for (int64_t p = 0; p < g.planes; ++p)
    for (int64_t oh = 0; oh < g.oh; ++oh)
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        int64_t at = -1;
        T best = 0;
        for (int64_t i = oh * g.stride; i < oh * g.stride + g.k; ++i)
          for (int64_t j = ow * g.stride; j < ow * g.stride + g.k; ++j) {
            const T v = x[(p * g.h + i) * g.w + j];
            if (at < 0 || v > best) best = v, at = i * g.w + j;
          }
        y[(p * g.oh + oh) * g.ow + ow] = best;
        idx[(p * g.oh + oh) * g.ow + ow] = at;
      }
}

struct Pooled {
  std::vector<double> y;
  std::vector<int64_t> idx;
};

// 3 random planes of h x w with values in -3..3 (ties in most windows), every 17th NaN if
// asked, pooled 2x2 by the kernel in T (and, if `naive`, by the naive scan).
template <class T>
Pooled pool_2x2(int64_t h, int64_t w, uint32_t seed, bool with_nan, bool naive) {
  const PoolGeom g{3, h, w, h / 2, w / 2, 2, 2, 0};
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> level(-3, 3);
  std::vector<T> x(g.planes * h * w);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] =
        with_nan && i % 17 == 5 ? std::numeric_limits<T>::quiet_NaN() : static_cast<T>(level(rng));
  const size_t n = g.planes * g.oh * g.ow;
  std::vector<T> y(n);
  Pooled out{{}, std::vector<int64_t>(n)};
  if (naive)
    naive_max_pool(g, x, y, out.idx);
  else
    max_pool2d(g, x.data(), y.data(), out.idx.data());
  out.y.assign(y.begin(), y.end());
  return out;
}

void expect_same(const Pooled& a, const Pooled& b, const std::string& what) {
  ASSERT_EQ(a.idx, b.idx) << what;
  for (size_t o = 0; o < a.y.size(); ++o) {
    if (std::isnan(b.y[o]))
      ASSERT_TRUE(std::isnan(a.y[o])) << what << " output " << o;
    else
      ASSERT_EQ(a.y[o], b.y[o]) << what << " output " << o;
  }
}

TEST(MaxPoolKernel, TwoByTwoMatchesTheNaiveScanWithTies) {
  for (int64_t w : {2, 3, 14, 15, 28, 31, 32, 33, 34, 64, 70})
    for (int64_t h : {2, 5, 28}) {
      const uint32_t seed = static_cast<uint32_t>(h * 100 + w);
      const std::string what = std::to_string(h) + "x" + std::to_string(w);
      const Pooled ref = pool_2x2<double>(h, w, seed, false, true);
      expect_same(pool_2x2<float>(h, w, seed, false, false), ref, what + " f32");
      expect_same(pool_2x2<double>(h, w, seed, false, false), ref, what + " f64");
    }
}

TEST(MaxPoolKernel, TwoByTwoWithNanIsTheSameInF32AndF64) {
  for (int64_t w : {3, 28, 33, 70})
    for (int64_t h : {2, 28}) {
      const uint32_t seed = static_cast<uint32_t>(h * 100 + w);
      expect_same(pool_2x2<float>(h, w, seed, true, false),
                  pool_2x2<double>(h, w, seed, true, false),
                  std::to_string(h) + "x" + std::to_string(w));
    }
}

TEST(MaxPoolKernel, TwoByTwoBackwardEqualsTheScatterToTheArgmax) {
  for (int64_t w : {2, 3, 14, 15, 33})
    for (int64_t h : {2, 5, 28}) {
      const PoolGeom g{3, h, w, h / 2, w / 2, 2, 2, 0};
      const Pooled fwd = pool_2x2<double>(h, w, static_cast<uint32_t>(h * 100 + w), false, false);
      std::mt19937 rng(static_cast<uint32_t>(h + w));
      std::uniform_real_distribution<float> u(-1, 1);
      std::vector<float> gy(fwd.idx.size()), gx(g.planes * h * w, 7.0f), want(gx.size(), 0.0f);
      for (auto& v : gy) v = u(rng);
      for (int64_t p = 0; p < g.planes; ++p)
        for (int64_t o = 0; o < g.oh * g.ow; ++o)
          want[p * h * w + fwd.idx[p * g.oh * g.ow + o]] += gy[p * g.oh * g.ow + o];
      max_pool2d_backward(g, gy.data(), fwd.idx.data(), gx.data());
      ASSERT_EQ(gx, want) << h << "x" << w;
    }
}

}  // namespace
}  // namespace he::kernels::cpu
