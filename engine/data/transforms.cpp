#include "engine/data/transforms.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>
#include <stb_image_resize.h>

#include "engine/philox.h"

namespace he::data {

void to_float(const uint8_t* src, int64_t n, float* dst) {
  for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<float>(src[i]) * (1.0f / 255.0f);
}

void resize_bilinear(const float* src, int64_t c, int64_t h, int64_t w, float* dst, int64_t out_h,
                     int64_t out_w) {
  for (int64_t k = 0; k < c; ++k) {
    int ok = stbir_resize_float_generic(
        src + k * h * w, static_cast<int>(w), static_cast<int>(h), 0, dst + k * out_h * out_w,
        static_cast<int>(out_w), static_cast<int>(out_h), 0, 1, STBIR_ALPHA_CHANNEL_NONE, 0,
        STBIR_EDGE_CLAMP, STBIR_FILTER_TRIANGLE, STBIR_COLORSPACE_LINEAR, nullptr);
    if (!ok) throw std::runtime_error("resize_bilinear: stb_image_resize failed");
  }
}

void crop(const float* src, int64_t c, int64_t h, int64_t w, int64_t top, int64_t left,
          int64_t out_h, int64_t out_w, float* dst) {
  const int64_t x0 = std::clamp<int64_t>(-left, 0, out_w);  // first dst column inside src
  const int64_t x1 = std::clamp<int64_t>(w - left, x0, out_w);
  for (int64_t k = 0; k < c; ++k) {
    for (int64_t y = 0; y < out_h; ++y) {
      float* row = dst + (k * out_h + y) * out_w;
      const int64_t sy = y + top;
      if (sy < 0 || sy >= h) {
        std::fill(row, row + out_w, 0.0f);
        continue;
      }
      std::fill(row, row + x0, 0.0f);
      std::copy(src + (k * h + sy) * w + x0 + left, src + (k * h + sy) * w + x1 + left, row + x0);
      std::fill(row + x1, row + out_w, 0.0f);
    }
  }
}

void hflip(float* img, int64_t c, int64_t h, int64_t w) {
  for (int64_t r = 0; r < c * h; ++r) std::reverse(img + r * w, img + (r + 1) * w);
}

void warp_bilinear(const float* src, int64_t c, int64_t h, int64_t w, const Affine& a, float fill,
                   float* dst) {
  const double cs = std::cos(a.radians) / a.scale, sn = std::sin(a.radians) / a.scale;
  const double cx = 0.5 * (w - 1), cy = 0.5 * (h - 1);
  for (int64_t y = 0; y < h; ++y) {
    for (int64_t x = 0; x < w; ++x) {
      // Inverse map: the source point that lands on (x, y) (y grows downwards on screen, so a
      // counter-clockwise turn reads the source at -angle).
      const double dx = x - cx - a.shift_x, dy = y - cy - a.shift_y;
      const double sx = cs * dx - sn * dy + cx, sy = sn * dx + cs * dy + cy;
      const double fx = std::floor(sx), fy = std::floor(sy);
      const int64_t ix = static_cast<int64_t>(fx), iy = static_cast<int64_t>(fy);
      const float ax = static_cast<float>(sx - fx), ay = static_cast<float>(sy - fy);
      for (int64_t k = 0; k < c; ++k) {
        const float* p = src + k * h * w;
        auto at = [&](int64_t r, int64_t col) {
          return (r < 0 || r >= h || col < 0 || col >= w) ? fill : p[r * w + col];
        };
        // A weight of 0 skips its term, so a whole-pixel position copies the value exactly.
        float top = at(iy, ix), bottom = at(iy + 1, ix);
        if (ax != 0) {
          top = top * (1 - ax) + at(iy, ix + 1) * ax;
          bottom = bottom * (1 - ax) + at(iy + 1, ix + 1) * ax;
        }
        dst[(k * h + y) * w + x] = ay != 0 ? top * (1 - ay) + bottom * ay : top;
      }
    }
  }
}

void rotate_bilinear(const float* src, int64_t c, int64_t h, int64_t w, double radians,
                     float* dst) {
  Affine a;
  a.radians = radians;
  warp_bilinear(src, c, h, w, a, 0.0f, dst);
}

void normalize(float* img, int64_t c, int64_t hw, const std::vector<float>& mean,
               const std::vector<float>& std) {
  auto ok = [&](size_t s) { return s == 1 || static_cast<int64_t>(s) == c; };
  if (!ok(mean.size()) || !ok(std.size()))
    throw std::runtime_error(fmt::format("normalize: mean ({}) and std ({}) need 1 or {} values",
                                         mean.size(), std.size(), c));
  for (int64_t k = 0; k < c; ++k) {
    const float m = mean.size() == 1 ? mean[0] : mean[k];
    const float inv = 1.0f / (std.size() == 1 ? std[0] : std[k]);
    float* p = img + k * hw;
    for (int64_t i = 0; i < hw; ++i) p[i] = (p[i] - m) * inv;
  }
}

namespace {
struct Window {
  int64_t top, left, h, w;
};
// The window of a random resized crop of an h x w image from four uniforms u(4..7) of the
// sample's counters: area fraction, log aspect ratio, then the top and left offsets.
template <typename Uniform>
Window random_resized_window(int64_t h, int64_t w, double min_scale, Uniform u) {
  const double area = static_cast<double>(h * w) * (min_scale + (1 - min_scale) * u(4));
  const double log_lo = std::log(3.0 / 4.0), log_hi = std::log(4.0 / 3.0);
  const double ratio = std::exp(log_lo + (log_hi - log_lo) * u(5));  // width / height
  Window win{};
  win.w = std::clamp<int64_t>(std::llround(std::sqrt(area * ratio)), 1, w);
  win.h = std::clamp<int64_t>(std::llround(std::sqrt(area / ratio)), 1, h);
  win.top = static_cast<int64_t>(u(6) * static_cast<double>(h - win.h + 1));
  win.left = static_cast<int64_t>(u(7) * static_cast<double>(w - win.w + 1));
  return win;
}
}  // namespace

uint64_t epoch_key(uint64_t seed, int64_t epoch) {
  return philox::bits64_at(seed ^ 0x5eedda7a5eedda7aull, static_cast<uint64_t>(epoch));
}

void Transform::output_size(int64_t h, int64_t w, int64_t& out_h, int64_t& out_w) const {
  if (opts_.random_resized_crop > 0) h = w = opts_.random_resized_crop;
  if (opts_.resize_h > 0 && opts_.resize_w > 0) h = opts_.resize_h, w = opts_.resize_w;
  if (opts_.center_crop_h > 0 && opts_.center_crop_w > 0)
    h = opts_.center_crop_h, w = opts_.center_crop_w;
  if (opts_.random_crop_h > 0 && opts_.random_crop_w > 0) {
    if (opts_.random_crop_h > h + 2 * opts_.crop_padding ||
        opts_.random_crop_w > w + 2 * opts_.crop_padding)
      throw std::runtime_error(
          fmt::format("Transform: random crop {}x{} larger than the padded "
                      "{}x{} image",
                      opts_.random_crop_h, opts_.random_crop_w, h + 2 * opts_.crop_padding,
                      w + 2 * opts_.crop_padding));
    h = opts_.random_crop_h, w = opts_.random_crop_w;
  }
  out_h = h, out_w = w;
}

void Transform::apply(const uint8_t* img, int64_t c, int64_t h, int64_t w, uint64_t seed,
                      int64_t epoch, int64_t index, float* out) const {
  const uint64_t key = epoch_key(seed, epoch);
  const uint64_t ctr = static_cast<uint64_t>(index) * 8;
  std::vector<float> a(static_cast<size_t>(c * h * w)), b;
  to_float(img, c * h * w, a.data());
  auto step = [&](int64_t nh, int64_t nw, auto&& fn) {  // a (c,h,w) -> b (c,nh,nw) -> swap
    b.resize(static_cast<size_t>(c * nh * nw));
    fn(a.data(), b.data());
    std::swap(a, b);
    h = nh, w = nw;
  };
  if (opts_.random_resized_crop > 0) {
    const Window win =
        random_resized_window(h, w, opts_.random_resized_crop_min_scale,
                              [&](uint64_t j) { return philox::uniform_at(key, ctr + j); });
    const int64_t side = opts_.random_resized_crop;
    std::vector<float> window(static_cast<size_t>(c * win.h * win.w));
    crop(a.data(), c, h, w, win.top, win.left, win.h, win.w, window.data());
    step(side, side, [&](const float*, float* d) {
      resize_bilinear(window.data(), c, win.h, win.w, d, side, side);
    });
  }
  if (opts_.resize_h > 0 && opts_.resize_w > 0 && (opts_.resize_h != h || opts_.resize_w != w))
    step(opts_.resize_h, opts_.resize_w, [&](const float* s, float* d) {
      resize_bilinear(s, c, h, w, d, opts_.resize_h, opts_.resize_w);
    });
  if (opts_.center_crop_h > 0 && opts_.center_crop_w > 0)
    step(opts_.center_crop_h, opts_.center_crop_w, [&](const float* s, float* d) {
      crop(s, c, h, w, (h - opts_.center_crop_h) / 2, (w - opts_.center_crop_w) / 2,
           opts_.center_crop_h, opts_.center_crop_w, d);
    });
  if (opts_.max_rotation_deg > 0) {
    const double deg = (2 * philox::uniform_at(key, ctr + 0) - 1) * opts_.max_rotation_deg;
    step(h, w, [&](const float* s, float* d) { rotate_bilinear(s, c, h, w, deg * M_PI / 180, d); });
  }
  if (opts_.random_crop_h > 0 && opts_.random_crop_w > 0) {
    const int64_t p = opts_.crop_padding, ch = opts_.random_crop_h, cw = opts_.random_crop_w;
    auto draw = [&](uint64_t j, int64_t range) {  // uniform in [0, range)
      return static_cast<int64_t>(philox::uniform_at(key, ctr + j) * static_cast<double>(range));
    };
    const int64_t top = draw(1, h + 2 * p - ch + 1) - p, left = draw(2, w + 2 * p - cw + 1) - p;
    step(ch, cw, [&](const float* s, float* d) { crop(s, c, h, w, top, left, ch, cw, d); });
  }
  if (opts_.random_hflip && philox::uniform_at(key, ctr + 3) < 0.5) hflip(a.data(), c, h, w);
  if (!opts_.mean.empty()) normalize(a.data(), c, h * w, opts_.mean, opts_.std);
  std::copy(a.begin(), a.end(), out);
}

}  // namespace he::data
