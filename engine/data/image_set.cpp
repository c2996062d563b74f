#include "engine/data/image_set.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "engine/data/file_io.h"

namespace he::data {

const uint8_t* ImageSet::data() const {
  if (mapping) return mapping->data() + pixel_offset;
  return pixels.data();
}

ImageSet take_first(const ImageSet& set, int64_t k) {
  if (k < 0 || k > set.n)
    throw std::runtime_error(fmt::format("take_first: k = {} outside [0, {}]", k, set.n));
  ImageSet out;
  out.n = k, out.c = set.c, out.h = set.h, out.w = set.w;
  out.num_classes = set.num_classes;
  out.mean = set.mean, out.std = set.std;
  out.pixels.assign(set.data(), set.data() + k * set.image_size());
  if (!set.labels.empty()) out.labels.assign(set.labels.begin(), set.labels.begin() + k);
  if (!set.multi_hot.empty())
    out.multi_hot.assign(set.multi_hot.begin(), set.multi_hot.begin() + k * set.num_classes);
  return out;
}

ImageSet take_rows(const ImageSet& set, const std::vector<int64_t>& rows) {
  ImageSet out;
  out.n = static_cast<int64_t>(rows.size()), out.c = set.c, out.h = set.h, out.w = set.w;
  out.num_classes = set.num_classes;
  out.mean = set.mean, out.std = set.std;
  const int64_t size = set.image_size(), classes = set.num_classes;
  out.pixels.resize(static_cast<size_t>(out.n * size));
  for (int64_t i = 0; i < out.n; ++i) {
    const int64_t r = rows[i];
    if (r < 0 || r >= set.n)
      throw std::runtime_error(fmt::format("take_rows: row {} outside [0, {})", r, set.n));
    std::copy_n(set.image(r), size, out.pixels.data() + i * size);
    if (!set.labels.empty()) out.labels.push_back(set.labels[r]);
    if (!set.multi_hot.empty())
      out.multi_hot.insert(out.multi_hot.end(), set.multi_hot.begin() + r * classes,
                           set.multi_hot.begin() + (r + 1) * classes);
  }
  return out;
}

}  // namespace he::data
