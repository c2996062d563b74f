#include "zoo/augment.h"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

#include "engine/data/datasets.h"
#include "engine/data/transforms.h"

namespace he::zoo {

double normalized_black() { return -data::kFashionMnistMean / data::kFashionMnistStd; }

Tensor warp_images(const Tensor& x, const std::vector<data::Affine>& warps, double fill) {
  if (x.dim() != 4 || x.dtype() != DType::f32 || x.size(0) != static_cast<int64_t>(warps.size()))
    throw std::invalid_argument(
        fmt::format("warp_images: x {} {} with {} warps (want (N,C,H,W) f32 and one warp per "
                    "image)",
                    dtype_name(x.dtype()), x.shape_str(), warps.size()));
  for (const data::Affine& w : warps)
    if (!(w.scale > 0))
      throw std::invalid_argument(fmt::format("warp_images: zoom {} (want > 0)", w.scale));
  Tensor src = x.detach().to(Device::cpu()).contiguous();
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3), per = c * h * w;
  Tensor out = Tensor::empty({n, c, h, w});
  for (int64_t i = 0; i < n; ++i)
    data::warp_bilinear(src.data<float>() + i * per, c, h, w, warps[i], static_cast<float>(fill),
                        out.data<float>() + i * per);
  return out.to(x.device());
}

Tensor rotate_images(const Tensor& x, const std::vector<double>& degrees, double fill) {
  std::vector<data::Affine> warps(degrees.size());
  for (size_t i = 0; i < degrees.size(); ++i) warps[i].radians = degrees[i] * M_PI / 180;
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

std::vector<data::Affine> random_warps(int64_t n, const WarpRange& range, Generator& gen) {
  auto symmetric = [&](double half_width) { return (2 * gen.uniform() - 1) * half_width; };
  std::vector<data::Affine> warps(n);
  for (data::Affine& w : warps) {
    w.radians = symmetric(range.max_degrees) * M_PI / 180;
    w.scale = 1 + symmetric(range.max_zoom);
    w.shift_x = symmetric(range.max_shift);
    w.shift_y = symmetric(range.max_shift);
  }
  return warps;
}

}  // namespace he::zoo
