// The Winograd convolution (kernels/cpu/conv_winograd.h) and the direct filter gradient beside
// it against im2col + GEMM in double on the same random inputs, one row per geometry
// (partial tiles at the edges, zero and same padding, more than 64 channels, both filter
// sizes). Skipped on a CPU without AVX-512F, where conv2d_* never take this path.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "kernels/conv.h"

namespace he {
namespace {

using kernels::ConvGeom;
namespace kc = kernels::cpu;

struct Row {
  const char* name;
  int64_t n, c, h, w, o, k, pad;
};
const Row kRows[] = {
    {"small CNN second layer", 3, 32, 14, 14, 64, 5, 2},
    {"5x5 odd plane, pad 1", 2, 16, 9, 7, 16, 5, 1},
    {"5x5 no padding, one output row", 2, 16, 5, 8, 32, 5, 0},
    {"5x5 48 in, 80 out", 2, 48, 6, 6, 80, 5, 2},
    {"3x3 pad 1", 3, 16, 10, 13, 32, 3, 1},
    {"3x3 no padding", 2, 32, 8, 8, 16, 3, 0},
    {"3x3 one image, 2x2 plane", 1, 64, 2, 2, 64, 3, 1},
};

ConvGeom geom(const Row& r) {
  ConvGeom g{r.n, r.c, r.h, r.w, r.k, r.k, 1, 1, r.pad, r.pad, 1, 1, 0, 0, r.o, 1};
  g.oh = g.h + 2 * g.ph - g.kh + 1;
  g.ow = g.w + 2 * g.pw - g.kw + 1;
  return g;
}

std::vector<float> normal(int64_t n, std::mt19937_64& rng) {
  std::normal_distribution<float> d(0, 1);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = d(rng);
  return v;
}

std::vector<double> widen(const std::vector<float>& v) { return {v.begin(), v.end()}; }

// Largest |got - ref| over the largest |ref|: the error at the scale of the values.
double scaled_error(const std::vector<float>& got, const std::vector<double>& ref) {
  double err = 0, scale = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    err = std::max(err, std::abs(got[i] - ref[i]));
    scale = std::max(scale, std::abs(ref[i]));
  }
  return err / scale;
}

// The process-wide choice set to `fastest` for the test (HE_CONV_ALGORITHM may say otherwise)
// and restored after it.
class FastestConv {
 public:
  FastestConv() : before_(kc::conv_algorithm()) {
    kc::set_conv_algorithm(kc::ConvAlgorithm::fastest);
  }
  ~FastestConv() { kc::set_conv_algorithm(before_); }

 private:
  kc::ConvAlgorithm before_;
};

class ConvWinograd : public ::testing::TestWithParam<Row> {
 protected:
  void SetUp() override {
    if (!kc::conv2d_winograd_applies(geom(GetParam())))
      GTEST_SKIP() << "no AVX-512F: the Winograd path is never taken on this CPU";
  }
  FastestConv fastest_;
};

// Measured against the largest reference value: float im2col lands within 1e-7 to 7e-7 of the
// double reference, Winograd within 3e-7 to 4e-6 (its transforms have entries up to 8 and
// 2/3): the bound leaves a factor of 7. The direct filter gradient sums plain products, as
// im2col does, and is held to im2col's own bound, 2e-6.
TEST_P(ConvWinograd, MatchesIm2colInDouble) {
  const Row& r = GetParam();
  const ConvGeom g = geom(r);
  std::mt19937_64 rng(7);
  const auto x = normal(g.n * g.c * g.h * g.w, rng), w = normal(g.o * g.c * g.kh * g.kw, rng);
  const auto bias = normal(g.o, rng), gy = normal(g.n * g.o * g.oh * g.ow, rng);

  std::vector<double> y_ref(gy.size()), gx_ref(x.size()), gw_ref(w.size());
  const auto xd = widen(x), wd = widen(w), bd = widen(bias), gyd = widen(gy);
  kc::conv2d_im2col_forward<double>(g, xd.data(), wd.data(), bd.data(), y_ref.data());
  kc::conv2d_im2col_backward<double>(g, xd.data(), wd.data(), gyd.data(), gx_ref.data(),
                                     gw_ref.data());

  std::vector<float> y(gy.size()), gx(x.size()), gw(w.size());
  kc::conv2d_winograd_forward(g, x.data(), w.data(), bias.data(), y.data());
  kc::conv2d_winograd_backward_input(g, w.data(), gy.data(), gx.data());
  kc::conv2d_direct_filter_grad(g, x.data(), gy.data(), gw.data());
  EXPECT_LT(scaled_error(y, y_ref), 3e-5) << r.name << ": forward";
  EXPECT_LT(scaled_error(gx, gx_ref), 3e-5) << r.name << ": input gradient";
  EXPECT_LT(scaled_error(gw, gw_ref), 2e-6) << r.name << ": filter gradient";

  // conv2d_* take these paths.
  std::vector<float> y_dispatch(gy.size()), gx_dispatch(x.size()), gw_dispatch(w.size()),
      gb(static_cast<size_t>(g.o));
  kc::conv2d_forward<float>(g, x.data(), w.data(), bias.data(), y_dispatch.data());
  kc::conv2d_backward<float>(g, x.data(), w.data(), gy.data(), gx_dispatch.data(),
                             gw_dispatch.data(), gb.data());
  EXPECT_EQ(y_dispatch, y);
  EXPECT_EQ(gx_dispatch, gx);
  EXPECT_EQ(gw_dispatch, gw);
}

// A wrong transform can still be small on random data if it is wrong everywhere alike; a
// plane with a single nonzero input pins each output to one filter tap.
TEST_P(ConvWinograd, OneHotInputReadsTheFilter) {
  const Row& r = GetParam();
  const ConvGeom g = geom(r);
  std::mt19937_64 rng(11);
  const auto w = normal(g.o * g.c * g.kh * g.kw, rng);
  std::vector<float> x(static_cast<size_t>(g.n * g.c * g.h * g.w), 0.f);
  const int64_t c = g.c - 1, iy = g.h / 2, ix = g.w / 2;
  x[static_cast<size_t>((c * g.h + iy) * g.w + ix)] = 1.f;  // image 0
  std::vector<float> y(static_cast<size_t>(g.n * g.o * g.oh * g.ow));
  kc::conv2d_winograd_forward(g, x.data(), w.data(), nullptr, y.data());
  for (int64_t o = 0; o < g.o; ++o)
    for (int64_t oy = 0; oy < g.oh; ++oy)
      for (int64_t ox = 0; ox < g.ow; ++ox) {
        const int64_t ky = iy + g.ph - oy, kx = ix + g.pw - ox;
        const bool tap = ky >= 0 && ky < g.kh && kx >= 0 && kx < g.kw;
        const float want =
            tap ? w[static_cast<size_t>(((o * g.c + c) * g.kh + ky) * g.kw + kx)] : 0;
        ASSERT_NEAR(y[static_cast<size_t>((o * g.oh + oy) * g.ow + ox)], want, 1e-5f)
            << r.name << " o " << o << " at " << oy << "," << ox;
      }
}

INSTANTIATE_TEST_SUITE_P(Rows, ConvWinograd, ::testing::ValuesIn(kRows),
                         [](const ::testing::TestParamInfo<Row>& info) {
                           std::string s = info.param.name;
                           for (char& ch : s)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return s;
                         });

TEST(ConvWinogradApplies, Im2colChoiceTurnsItOff) {
  const ConvGeom g = geom(kRows[0]);
  if (!kc::conv2d_winograd_applies(g)) GTEST_SKIP() << "no AVX-512F";
  const FastestConv fastest;
  EXPECT_TRUE(kc::conv2d_uses_winograd(g));
  std::mt19937_64 rng(5);
  const auto x = normal(g.n * g.c * g.h * g.w, rng), w = normal(g.o * g.c * g.kh * g.kw, rng);
  std::vector<float> y(static_cast<size_t>(g.n * g.o * g.oh * g.ow)), y_im2col(y.size());
  kc::set_conv_algorithm(kc::ConvAlgorithm::im2col);
  EXPECT_FALSE(kc::conv2d_uses_winograd(g));
  kc::conv2d_forward<float>(g, x.data(), w.data(), nullptr, y.data());
  kc::set_conv_algorithm(kc::ConvAlgorithm::fastest);
  kc::conv2d_im2col_forward<float>(g, x.data(), w.data(), nullptr, y_im2col.data());
  EXPECT_EQ(y, y_im2col);
}

TEST(ConvWinogradApplies, OnlyTheShapesItImplements) {
  if (!kc::conv2d_winograd_applies(geom(kRows[0]))) GTEST_SKIP() << "no AVX-512F";
  auto with = [](auto edit) {
    ConvGeom g = geom(kRows[0]);
    edit(g);
    return kc::conv2d_winograd_applies(g);
  };
  EXPECT_FALSE(with([](ConvGeom& g) { g.sh = 2; }));
  EXPECT_FALSE(with([](ConvGeom& g) { g.dw = 2; }));
  EXPECT_FALSE(with([](ConvGeom& g) { g.groups = 2; }));
  EXPECT_FALSE(with([](ConvGeom& g) { g.c = 1; }));  // the small CNN's first layer
  EXPECT_FALSE(with([](ConvGeom& g) { g.o = 40; }));
  EXPECT_FALSE(with([](ConvGeom& g) { g.kh = g.kw = 7; }));
  EXPECT_FALSE(with([](ConvGeom& g) { g.kw = 3; }));
}

}  // namespace
}  // namespace he
