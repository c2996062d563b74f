// cuDNN convolution and transposed convolution (kernels/conv.h) against the CPU's im2col +
// GEMM on random inputs, forward and every gradient, f32 and f64. One row per geometry.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "cuda_test_util.h"
#include "kernels/conv.h"

#ifdef ENGINE_HAVE_CUDA
namespace he {
namespace {

using kernels::ConvGeom;
using testing::DeviceBuffer;

struct ConvRow {
  const char* name;
  int64_t n, c, h, w, o, kh, kw, stride, pad, dil, groups;
};
const ConvRow kRows[] = {
    {"3x3 pad 1", 2, 3, 12, 11, 8, 3, 3, 1, 1, 1, 1},
    {"stride 2 dilation 2 groups 2", 3, 4, 13, 9, 6, 3, 3, 2, 1, 2, 2},
    {"depthwise 2x2", 2, 6, 7, 8, 6, 2, 2, 1, 0, 1, 6},
    {"1x1 one image", 1, 16, 5, 5, 32, 1, 1, 1, 0, 1, 1},
    {"5x3 kernel stride 3", 4, 2, 17, 14, 5, 5, 3, 3, 2, 1, 1},
};

ConvGeom geom(const ConvRow& r) {
  ConvGeom g{r.n,   r.c,   r.h,   r.w,   r.kh, r.kw, r.stride, r.stride,
             r.pad, r.pad, r.dil, r.dil, 0,    0,    r.o,      r.groups};
  g.oh = (g.h + 2 * g.ph - g.dh * (g.kh - 1) - 1) / g.sh + 1;
  g.ow = (g.w + 2 * g.pw - g.dw * (g.kw - 1) - 1) / g.sw + 1;
  return g;
}

template <class T>
std::vector<T> normal(int64_t n, std::mt19937_64& rng) {
  std::normal_distribution<double> d(0, 1);
  std::vector<T> v(static_cast<size_t>(n));
  for (auto& x : v) x = static_cast<T>(d(rng));
  return v;
}

// Sums of up to a few hundred products of N(0,1) values.
template <class T>
void expect_close(const std::vector<T>& got, const std::vector<T>& ref, const std::string& what) {
  const double tol = std::is_same_v<T, float> ? 2e-4 : 1e-10;
  ASSERT_EQ(got.size(), ref.size()) << what;
  for (size_t i = 0; i < ref.size(); ++i)
    ASSERT_NEAR(got[i], ref[i], tol * (1 + std::abs(ref[i]))) << what << " at " << i;
}

// Sizes of a geometry's tensors: x, y, w and the two bias lengths.
struct Sizes {
  int64_t x, y, w;
  explicit Sizes(const ConvGeom& g)
      : x(g.n * g.c * g.h * g.w),
        y(g.n * g.o * g.oh * g.ow),
        w(g.o * (g.c / g.groups) * g.kh * g.kw) {}
};

template <class T>
void check_conv2d(const ConvRow& row, std::mt19937_64& rng) {
  const ConvGeom g = geom(row);
  const Sizes s(g);
  auto x = normal<T>(s.x, rng), w = normal<T>(s.w, rng), b = normal<T>(g.o, rng);
  auto gy = normal<T>(s.y, rng);
  std::vector<T> y(s.y), gx(s.x), gw(s.w), gb(g.o);
  kernels::cpu::conv2d_forward(g, x.data(), w.data(), b.data(), y.data());
  kernels::cpu::conv2d_backward(g, x.data(), w.data(), gy.data(), gx.data(), gw.data(), gb.data());

  DeviceBuffer<T> dx(x), dw(w), db(b), dgy(gy);
  DeviceBuffer<T> dy(s.y, T(-777)), dgx(s.x, T(-777)), dgw(s.w, T(-777)), dgb(g.o, T(-777));
  kernels::cuda::conv2d_forward(g, dx.get(), dw.get(), db.get(), dy.get());
  kernels::cuda::conv2d_backward(g, dx.get(), dw.get(), dgy.get(), dgx.get(), dgw.get(), dgb.get());
  const std::string at = std::string("conv2d ") + row.name;
  expect_close(dy.download(), y, at + " y");
  expect_close(dgx.download(), gx, at + " gx");
  expect_close(dgw.download(), gw, at + " gw");
  expect_close(dgb.download(), gb, at + " gb");

  // No bias, and only the weight gradient: the other outputs stay untouched.
  std::vector<T> y0(s.y);
  kernels::cpu::conv2d_forward(g, x.data(), w.data(), static_cast<const T*>(nullptr), y0.data());
  DeviceBuffer<T> dy0(s.y, T(-777)), dgw2(s.w, T(-777)), untouched(s.x, T(-777));
  kernels::cuda::conv2d_forward(g, dx.get(), dw.get(), static_cast<const T*>(nullptr), dy0.get());
  kernels::cuda::conv2d_backward(g, dx.get(), dw.get(), dgy.get(), static_cast<T*>(nullptr),
                                 dgw2.get(), static_cast<T*>(nullptr));
  expect_close(dy0.download(), y0, at + " y without bias");
  expect_close(dgw2.download(), gw, at + " gw alone");
  EXPECT_EQ(untouched.download(), std::vector<T>(s.x, T(-777)));
}

// The transposed convolution of geometry g reads y-shaped inputs and writes x-shaped outputs.
template <class T>
void check_conv_transpose2d(const ConvRow& row, std::mt19937_64& rng) {
  const ConvGeom g = geom(row);
  const Sizes s(g);
  auto x = normal<T>(s.y, rng), w = normal<T>(s.w, rng), b = normal<T>(g.c, rng);
  auto gy = normal<T>(s.x, rng);
  std::vector<T> y(s.x), gx(s.y), gw(s.w), gb(g.c);
  kernels::cpu::conv_transpose2d_forward(g, x.data(), w.data(), b.data(), y.data());
  kernels::cpu::conv_transpose2d_backward(g, x.data(), w.data(), gy.data(), gx.data(), gw.data(),
                                          gb.data());

  DeviceBuffer<T> dx(x), dw(w), db(b), dgy(gy);
  DeviceBuffer<T> dy(s.x, T(-777)), dgx(s.y, T(-777)), dgw(s.w, T(-777)), dgb(g.c, T(-777));
  kernels::cuda::conv_transpose2d_forward(g, dx.get(), dw.get(), db.get(), dy.get());
  kernels::cuda::conv_transpose2d_backward(g, dx.get(), dw.get(), dgy.get(), dgx.get(), dgw.get(),
                                           dgb.get());
  const std::string at = std::string("conv_transpose2d ") + row.name;
  expect_close(dy.download(), y, at + " y");
  expect_close(dgx.download(), gx, at + " gx");
  expect_close(dgw.download(), gw, at + " gw");
  expect_close(dgb.download(), gb, at + " gb");
}

TEST(CudaConv, Conv2dMatchesCpu) {
  HE_REQUIRE_CUDA();
  std::mt19937_64 rng(testing::test_seed("CudaConv.Conv2dMatchesCpu"));
  for (const ConvRow& row : kRows) {
    check_conv2d<float>(row, rng);
    check_conv2d<double>(row, rng);
  }
}

TEST(CudaConv, ConvTranspose2dMatchesCpu) {
  HE_REQUIRE_CUDA();
  std::mt19937_64 rng(testing::test_seed("CudaConv.ConvTranspose2dMatchesCpu"));
  for (const ConvRow& row : kRows) {
    check_conv_transpose2d<float>(row, rng);
    check_conv_transpose2d<double>(row, rng);
  }
}

// The second call of a shape takes the cached algorithm; its result is the first's.
TEST(CudaConv, CachedAlgorithmGivesTheSameResult) {
  HE_REQUIRE_CUDA();
  std::mt19937_64 rng(testing::test_seed("CudaConv.CachedAlgorithmGivesTheSameResult"));
  const ConvGeom g = geom(kRows[0]);
  const Sizes s(g);
  DeviceBuffer<float> dx(normal<float>(s.x, rng)), dw(normal<float>(s.w, rng));
  DeviceBuffer<float> y1(s.y, -1.f), y2(s.y, -2.f);
  kernels::cuda::conv2d_forward(g, dx.get(), dw.get(), static_cast<const float*>(nullptr),
                                y1.get());
  kernels::cuda::conv2d_forward(g, dx.get(), dw.get(), static_cast<const float*>(nullptr),
                                y2.get());
  EXPECT_EQ(y1.download(), y2.download());
}

}  // namespace
}  // namespace he
#else
TEST(CudaConv, SkippedWithoutCuda) { GTEST_SKIP() << "built without CUDA"; }
#endif
