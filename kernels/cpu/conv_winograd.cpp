// The drivers of the Winograd convolution (kernels/cpu/conv_winograd.h) and of the direct
// filter gradient that goes with it: the filter transform, in double, and the batch split
// across threads, one image at a time per thread with its own scratch, as the im2col path does. The
// per-image kernels are in conv_winograd_avx512.cpp.
#include "kernels/cpu/conv_winograd.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace he::kernels::cpu {

namespace winograd {

ScratchSizes scratch_sizes(const Shape& s) {
  const int64_t nt = s.tiles();
  return {s.hp() * s.wp() * s.c, kPositions * nt * s.c, kPositions * nt * s.o, s.oh * s.ow * s.o,
          static_cast<int64_t>(s.r) * s.r * s.c * s.o};
}

namespace {

struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};
using Aligned = std::unique_ptr<float[], FreeDeleter>;

// n floats on a 64-byte boundary, so that every 16-channel vector sits in one cache line.
Aligned aligned_floats(int64_t n) {
  const size_t bytes = (static_cast<size_t>(n) * sizeof(float) + 63) / 64 * 64;
  auto* p = static_cast<float*>(std::aligned_alloc(64, std::max<size_t>(bytes, 64)));
  if (!p) throw std::bad_alloc();
  return Aligned(p);
}

// One thread's Scratch and the storage behind it.
struct ThreadScratch {
  Aligned xp, v, prod, plane, taps;
  Scratch view;
  explicit ThreadScratch(const Shape& s) {
    const ScratchSizes n = scratch_sizes(s);
    xp = aligned_floats(n.xp);
    v = aligned_floats(n.v);
    prod = aligned_floats(n.prod);
    plane = aligned_floats(n.plane);
    taps = aligned_floats(n.taps);
    view = {xp.get(), v.get(), prod.get(), plane.get(), taps.get()};
  }
};

// fn(i, scratch) for images 0 .. n-1, split across threads, each thread with its own scratch.
template <class Fn>
void for_each_image(const Shape& s, int64_t n, Fn fn) {
#pragma omp parallel
  {
    const ThreadScratch ws(s);
#pragma omp for schedule(static)
    for (int64_t i = 0; i < n; ++i) fn(i, ws.view);
  }
}

// G (6 x r): row j is (1, a_j, .., a_j^(r-1)) / prod_{l != j} (a_j - a_l) for the finite points
// a = 0, 1, -1, 2, -2, and (0, .., 0, 1) for the point at infinity.
std::vector<double> filter_matrix(int r) {
  const double a[kTile - 1] = {0, 1, -1, 2, -2};
  std::vector<double> g(static_cast<size_t>(kTile * r), 0.0);
  for (int j = 0; j < kTile - 1; ++j) {
    double f = 1;
    for (int l = 0; l < kTile - 1; ++l)
      if (l != j) f *= a[j] - a[l];
    double power = 1;
    for (int k = 0; k < r; ++k, power *= a[j]) g[static_cast<size_t>(j * r + k)] = power / f;
  }
  g[static_cast<size_t>((kTile - 1) * r + r - 1)] = 1;
  return g;
}

Shape shape_of(const ConvGeom& g) {
  Shape s{};
  s.r = static_cast<int>(g.kh);
  s.m = kTile + 1 - s.r;
  s.c = g.c;
  s.o = g.o;
  s.h = g.h;
  s.w = g.w;
  s.ph = g.ph;
  s.pw = g.pw;
  s.oh = g.oh;
  s.ow = g.ow;
  s.ty = (g.oh + s.m - 1) / s.m;
  s.tx = (g.ow + s.m - 1) / s.m;
  return s;
}

// U = G w G^T for every (o, c), laid out 36 x C x O (forward) or 36 x O x C (input gradient).
std::vector<float> transform_filter(const Shape& s, const float* w, bool by_output) {
  const int r = s.r;
  const std::vector<double> gm = filter_matrix(r);
  std::vector<float> u(static_cast<size_t>(kPositions * s.c * s.o));
  std::vector<double> t(static_cast<size_t>(kTile * r));
  for (int64_t o = 0; o < s.o; ++o)
    for (int64_t c = 0; c < s.c; ++c) {
      const float* f = w + (o * s.c + c) * r * r;
      for (int i = 0; i < kTile; ++i)  // t = G f
        for (int x = 0; x < r; ++x) {
          double acc = 0;
          for (int k = 0; k < r; ++k) acc += gm[static_cast<size_t>(i * r + k)] * f[k * r + x];
          t[static_cast<size_t>(i * r + x)] = acc;
        }
      for (int i = 0; i < kTile; ++i)  // U = t G^T
        for (int j = 0; j < kTile; ++j) {
          double acc = 0;
          for (int k = 0; k < r; ++k)
            acc += t[static_cast<size_t>(i * r + k)] * gm[static_cast<size_t>(j * r + k)];
          const int64_t p = i * kTile + j;
          const int64_t at = by_output ? (p * s.o + o) * s.c + c : (p * s.c + c) * s.o + o;
          u[static_cast<size_t>(at)] = static_cast<float>(acc);
        }
    }
  return u;
}

}  // namespace
}  // namespace winograd

bool conv2d_winograd_applies(const ConvGeom& g) {
  static const bool cpu_has_avx512 = __builtin_cpu_supports("avx512f");
  return cpu_has_avx512 && g.groups == 1 && g.kh == g.kw && (g.kh == 3 || g.kh == 5) && g.sh == 1 &&
         g.sw == 1 && g.dh == 1 && g.dw == 1 && g.c % winograd::kLanes == 0 &&
         g.o % winograd::kLanes == 0 && g.c > 0 && g.o > 0;
}

namespace {
// HE_CONV_ALGORITHM=im2col in the environment sets the starting choice.
ConvAlgorithm algorithm_from_environment() {
  const char* v = std::getenv("HE_CONV_ALGORITHM");
  if (!v || std::string(v) == "fastest") return ConvAlgorithm::fastest;
  if (std::string(v) == "im2col") return ConvAlgorithm::im2col;
  throw std::invalid_argument("HE_CONV_ALGORITHM: '" + std::string(v) +
                              "' is not one of fastest, im2col");
}
std::atomic<ConvAlgorithm>& algorithm() {
  static std::atomic<ConvAlgorithm> a{algorithm_from_environment()};
  return a;
}
}  // namespace

void set_conv_algorithm(ConvAlgorithm a) { algorithm() = a; }
ConvAlgorithm conv_algorithm() { return algorithm(); }

bool conv2d_uses_winograd(const ConvGeom& g) {
  return algorithm() == ConvAlgorithm::fastest && conv2d_winograd_applies(g);
}

void conv2d_winograd_forward(const ConvGeom& g, const float* x, const float* w, const float* bias,
                             float* y) {
  const winograd::Shape s = winograd::shape_of(g);
  const std::vector<float> u = winograd::transform_filter(s, w, false);
  const int64_t xs = g.c * g.h * g.w, ys = g.o * g.oh * g.ow;
  winograd::for_each_image(s, g.n, [&](int64_t i, const winograd::Scratch& ws) {
    winograd::forward_image(s, x + i * xs, u.data(), bias, y + i * ys, ws);
  });
}

// Both gradients in one pass over the images (either may be null), so that each image's
// output gradient goes channels-last once. The filter gradient: each image's sum is float,
// then added to its thread's double sum; the threads' sums are added in thread order
// (deterministic for a thread count). A float running sum over the batch (one accumulator per
// weight for 64 x 196 terms) measured 6x im2col's error.
void conv2d_winograd_backward(const ConvGeom& g, const float* x, const float* w, const float* gy,
                              float* gx, float* gw) {
  const winograd::Shape s = winograd::shape_of(g);
  const std::vector<float> ut = gx ? winograd::transform_filter(s, w, true) : std::vector<float>();
  const int64_t xs = g.c * g.h * g.w, ys = g.o * g.oh * g.ow, taps = g.kh * g.kw;
  const int64_t nw = taps * g.c * g.o;
  std::vector<std::vector<double>> partial(static_cast<size_t>(omp_get_max_threads()));
  winograd::for_each_image(s, g.n, [&](int64_t i, const winograd::Scratch& ws) {
    double* sum = nullptr;
    if (gw) {
      std::vector<double>& dw = partial[static_cast<size_t>(omp_get_thread_num())];
      if (dw.empty()) dw.assign(static_cast<size_t>(nw), 0.0);
      sum = dw.data();
    }
    // x is null when only the input gradient is asked for; no offset is applied to it then.
    winograd::backward_image(s, gw ? x + i * xs : nullptr, ut.data(), gy + i * ys,
                             gx ? gx + i * xs : nullptr, sum, ws);
  });
  if (!gw) return;
  std::vector<double> sum(static_cast<size_t>(nw), 0.0);
  for (const auto& dw : partial)
    for (size_t k = 0; k < dw.size(); ++k) sum[k] += dw[k];
  for (int64_t o = 0; o < g.o; ++o)
    for (int64_t c = 0; c < g.c; ++c)
      for (int64_t t = 0; t < taps; ++t)
        gw[(o * g.c + c) * taps + t] =
            static_cast<float>(sum[static_cast<size_t>((t * g.c + c) * g.o + o)]);
}

void conv2d_winograd_backward_input(const ConvGeom& g, const float* w, const float* gy, float* gx) {
  conv2d_winograd_backward(g, nullptr, w, gy, gx, nullptr);
}

void conv2d_direct_filter_grad(const ConvGeom& g, const float* x, const float* gy, float* gw) {
  conv2d_winograd_backward(g, x, nullptr, gy, nullptr, gw);
}

}  // namespace he::kernels::cpu
