#include "engine/data/image_set.h"

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
  out.pixels.assign(set.data(), set.data() + k * set.image_size());
  if (!set.labels.empty()) out.labels.assign(set.labels.begin(), set.labels.begin() + k);
  if (!set.multi_hot.empty())
    out.multi_hot.assign(set.multi_hot.begin(), set.multi_hot.begin() + k * set.num_classes);
  return out;
}

}  // namespace he::data
