#include "zoo/augment.h"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

#include "engine/data/datasets.h"

namespace he::zoo {

double normalized_black() { return -data::kFashionMnistMean / data::kFashionMnistStd; }

namespace {
// One (C,H,W) image: out(p) = src(c + R^-1 (p - c - t) / s), c the centre, R the rotation,
// s the zoom, t the shift; bilinear, `fill` outside.
void warp_one(const float* src, int64_t channels, int64_t h, int64_t w, const Warp& warp,
              float fill, float* dst) {
  const double radians = warp.degrees * M_PI / 180;
  const double cs = std::cos(radians) / warp.scale, sn = std::sin(radians) / warp.scale;
  const double cx = 0.5 * (w - 1), cy = 0.5 * (h - 1);
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x) {
      // y grows downwards on screen, so a counter-clockwise turn reads the source at -angle.
      const double dx = x - cx - warp.shift_x, dy = y - cy - warp.shift_y;
      const double sx = cs * dx - sn * dy + cx, sy = sn * dx + cs * dy + cy;
      const double fx = std::floor(sx), fy = std::floor(sy);
      const int64_t ix = static_cast<int64_t>(fx), iy = static_cast<int64_t>(fy);
      const float ax = static_cast<float>(sx - fx), ay = static_cast<float>(sy - fy);
      for (int64_t k = 0; k < channels; ++k) {
        const float* plane = src + k * h * w;
        auto at = [&](int64_t r, int64_t c) {
          return (r < 0 || r >= h || c < 0 || c >= w) ? fill : plane[r * w + c];
        };
        // Weights of 0 skip their term: an integer position copies the pixel exactly.
        float top = at(iy, ix), bottom = at(iy + 1, ix);
        if (ax != 0) {
          top = top * (1 - ax) + at(iy, ix + 1) * ax;
          bottom = bottom * (1 - ax) + at(iy + 1, ix + 1) * ax;
        }
        dst[(k * h + y) * w + x] = ay != 0 ? top * (1 - ay) + bottom * ay : top;
      }
    }
}
}  // namespace

Tensor warp_images(const Tensor& x, const std::vector<Warp>& warps, double fill) {
  if (x.dim() != 4 || x.dtype() != DType::f32 || x.size(0) != static_cast<int64_t>(warps.size()))
    throw std::invalid_argument(
        fmt::format("warp_images: x {} {} with {} warps (want (N,C,H,W) f32 and one warp per "
                    "image)",
                    dtype_name(x.dtype()), x.shape_str(), warps.size()));
  for (const Warp& w : warps)
    if (!(w.scale > 0))
      throw std::invalid_argument(fmt::format("warp_images: zoom {} (want > 0)", w.scale));
  Tensor src = x.detach().to(Device::cpu()).contiguous();
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3), per = c * h * w;
  Tensor out = Tensor::empty({n, c, h, w});
  for (int64_t i = 0; i < n; ++i)
    warp_one(src.data<float>() + i * per, c, h, w, warps[i], static_cast<float>(fill),
             out.data<float>() + i * per);
  return out.to(x.device());
}

Tensor rotate_images(const Tensor& x, const std::vector<double>& degrees, double fill) {
  std::vector<Warp> warps(degrees.size());
  for (size_t i = 0; i < degrees.size(); ++i) warps[i].degrees = degrees[i];
  return warp_images(x, warps, fill);
}

std::vector<double> random_rotations(int64_t n, double min_deg, double max_deg, Generator& gen) {
  std::vector<double> a(n);
  for (double& v : a) {
    const double magnitude = min_deg + (max_deg - min_deg) * gen.uniform();
    v = gen.uniform() < 0.5 ? -magnitude : magnitude;
  }
  return a;
}

std::vector<Warp> random_warps(int64_t n, const WarpRange& range, Generator& gen) {
  auto symmetric = [&](double half_width) { return (2 * gen.uniform() - 1) * half_width; };
  std::vector<Warp> warps(n);
  for (Warp& w : warps) {
    w.degrees = symmetric(range.max_degrees);
    w.scale = 1 + symmetric(range.max_zoom);
    w.shift_x = symmetric(range.max_shift);
    w.shift_y = symmetric(range.max_shift);
  }
  return warps;
}

}  // namespace he::zoo
