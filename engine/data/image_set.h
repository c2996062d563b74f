#pragma once
// Plain containers for decoded image data sets and loader batches (no Tensor dependency).
#include <cstdint>
#include <memory>
#include <vector>

namespace he::data {

class MappedFile;

enum class Split { kTrain, kTest };

// n images of c x h x w u8 pixels, NCHW. Pixels are either owned (`pixels`) or a read-only
// view into a memory-mapped cache file (`mapping`); read them through data()/image().
// Labels: single-label sets fill `labels` (n class ids in [0, num_classes)); multi-label
// sets fill `multi_hot` (n x num_classes, 0/1) and leave `labels` empty.
struct ImageSet {
  int64_t n = 0, c = 0, h = 0, w = 0;
  std::vector<uint8_t> pixels;                // n*c*h*w when owned, else empty
  std::shared_ptr<const MappedFile> mapping;  // set when pixels live in a cache file
  int64_t pixel_offset = 0;                   // offset of the pixels inside the mapping
  std::vector<int64_t> labels;
  std::vector<uint8_t> multi_hot;
  int64_t num_classes = 0;
  // Per-channel (c, or 1 for all) normalisation of pixels / 255 that a model sees,
  // (x - mean) / std; empty: left to the user (the zoo then uses protocol FM's).
  std::vector<float> mean, std;

  int64_t image_size() const { return c * h * w; }
  bool multi_label() const { return !multi_hot.empty(); }
  const uint8_t* data() const;
  const uint8_t* image(int64_t i) const { return data() + i * image_size(); }
};

// The first k images (and their labels) of `set`, copied into owned storage.
ImageSet take_first(const ImageSet& set, int64_t k);
// The images `rows` of `set` in that order (and their labels), copied into owned storage.
ImageSet take_rows(const ImageSet& set, const std::vector<int64_t>& rows);

// One loader batch. images: (b,c,h,w) f32 after the transforms; labels: (b) class ids or
// empty; multi_hot: (b,num_classes) u8 or empty; indices: (b) dataset row of each image.
struct Batch {
  int64_t b = 0, c = 0, h = 0, w = 0;
  std::vector<float> images;
  std::vector<int64_t> labels;
  std::vector<uint8_t> multi_hot;
  int64_t num_classes = 0;
  std::vector<int64_t> indices;
};

}  // namespace he::data
