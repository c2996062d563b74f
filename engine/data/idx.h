#pragma once
// IDX files (MNIST, Fashion-MNIST), plain or gzip: big-endian magic 0x00000803 for u8
// images (n, rows, cols) and 0x00000801 for u8 labels (n).
#include <cstdint>
#include <string>
#include <vector>

#include "engine/data/image_set.h"

namespace he::data {

// Images of an IDX3 file -> ImageSet with n images of 1 x rows x cols, no labels.
ImageSet read_idx_images(const std::string& path);
// Labels of an IDX1 file -> n class ids in [0, 255].
std::vector<int64_t> read_idx_labels(const std::string& path);
// The in-memory halves (plain bytes, already inflated; also the fuzzing entry points);
// `path` names the source in errors.
ImageSet parse_idx_images(std::vector<uint8_t> bytes, const std::string& path);
std::vector<int64_t> parse_idx_labels(const std::vector<uint8_t>& bytes, const std::string& path);
// Both files; the counts must match. num_classes = max label + 1.
ImageSet load_idx(const std::string& images_path, const std::string& labels_path);

}  // namespace he::data
