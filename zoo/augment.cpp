#include "zoo/augment.h"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

#include "engine/data/datasets.h"
#include "engine/data/transforms.h"

namespace he::zoo {

double normalized_black() { return -data::kFashionMnistMean / data::kFashionMnistStd; }

Tensor rotate_images(const Tensor& x, const std::vector<double>& degrees, double fill) {
  if (x.dim() != 4 || x.dtype() != DType::f32 || x.size(0) != static_cast<int64_t>(degrees.size()))
    throw std::invalid_argument(
        fmt::format("rotate_images: x {} {} with {} angles (want (N,C,H,W) "
                    "f32 and one angle per image)",
                    dtype_name(x.dtype()), x.shape_str(), degrees.size()));
  // Rotating x - fill (whose outside is 0) and adding fill back puts `fill` outside and leaves
  // every interpolated inside value unchanged, since bilinear weights sum to 1. An angle of 0
  // copies the image exactly.
  Tensor src = x.detach().to(Device::cpu()).contiguous();
  const int64_t n = x.size(0), per = x.size(1) * x.size(2) * x.size(3);
  Tensor out = src.clone();
  std::vector<float> shifted(per), rotated(per);
  const float f = static_cast<float>(fill);
  for (int64_t i = 0; i < n; ++i) {
    if (degrees[i] == 0) continue;
    const float* s = src.data<float>() + i * per;
    for (int64_t j = 0; j < per; ++j) shifted[j] = s[j] - f;
    data::rotate_bilinear(shifted.data(), x.size(1), x.size(2), x.size(3), degrees[i] * M_PI / 180,
                          rotated.data());
    float* d = out.data<float>() + i * per;
    for (int64_t j = 0; j < per; ++j) d[j] = rotated[j] + f;
  }
  return out.to(x.device());
}

std::vector<double> random_rotations(int64_t n, double min_deg, double max_deg, Generator& gen) {
  std::vector<double> a(n);
  for (double& v : a) {
    const double magnitude = min_deg + (max_deg - min_deg) * gen.uniform();
    v = gen.uniform() < 0.5 ? -magnitude : magnitude;
  }
  return a;
}

}  // namespace he::zoo
