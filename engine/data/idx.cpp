#include "engine/data/idx.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "engine/data/file_io.h"

namespace he::data {
namespace {

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// Checks the header of an IDX file holding u8 data with `ndims` dimensions and returns the
// dimensions; the data (product of dims bytes) must fill the rest of the file exactly.
std::vector<uint64_t> parse_idx_header(const std::string& path, const std::vector<uint8_t>& b,
                                       uint32_t ndims) {
  const uint32_t want_magic = 0x00000800u | ndims;
  if (b.size() < 4)
    throw std::runtime_error(
        fmt::format("{}: truncated IDX header: {} bytes, need 4 at offset 0", path, b.size()));
  uint32_t magic = be32(b.data());
  if (magic != want_magic)
    throw std::runtime_error(
        fmt::format("{}: wrong IDX magic 0x{:08x} at offset 0, expected "
                    "0x{:08x}",
                    path, magic, want_magic));
  const uint64_t header = 4 + 4ull * ndims;
  if (b.size() < header)
    throw std::runtime_error(
        fmt::format("{}: truncated IDX header: {} bytes, need {}", path, b.size(), header));
  std::vector<uint64_t> dims(ndims);
  uint64_t count = 1;
  const uint64_t available = b.size() - header;
  for (uint32_t d = 0; d < ndims; ++d) {
    dims[d] = be32(b.data() + 4 + 4 * d);
    // Saturate at available + 1 so a lying header cannot overflow the product.
    unsigned __int128 product = static_cast<unsigned __int128>(count) * dims[d];
    count = static_cast<uint64_t>(std::min<unsigned __int128>(product, available + 1));
  }
  if (count != available) {
    if (count > available)
      throw std::runtime_error(
          fmt::format("{}: truncated IDX data: header promises more than {} "
                      "bytes after offset {}",
                      path, available, header));
    throw std::runtime_error(fmt::format("{}: {} trailing bytes after the IDX data at offset {}",
                                         path, available - count, header + count));
  }
  return dims;
}

}  // namespace

ImageSet parse_idx_images(std::vector<uint8_t> bytes, const std::string& path) {
  std::vector<uint64_t> dims = parse_idx_header(path, bytes, 3);
  // With n = 0 any size passes the data check; an image has 1..32768 rows and columns (the
  // cap of the image decoder), so n * rows * cols cannot overflow downstream.
  for (int d : {1, 2})
    if (dims[d] < 1 || dims[d] > 32768)
      throw std::runtime_error(fmt::format(
          "{}: IDX image size {} x {} at offset 8 is not in [1, 32768]", path, dims[1], dims[2]));
  ImageSet set;
  set.n = static_cast<int64_t>(dims[0]);
  set.c = 1;
  set.h = static_cast<int64_t>(dims[1]);
  set.w = static_cast<int64_t>(dims[2]);
  bytes.erase(bytes.begin(), bytes.begin() + 16);
  set.pixels = std::move(bytes);
  return set;
}

std::vector<int64_t> parse_idx_labels(const std::vector<uint8_t>& bytes, const std::string& path) {
  parse_idx_header(path, bytes, 1);
  return std::vector<int64_t>(bytes.begin() + 8, bytes.end());
}

ImageSet read_idx_images(const std::string& path) {
  return parse_idx_images(read_file_bytes(path), path);
}

std::vector<int64_t> read_idx_labels(const std::string& path) {
  return parse_idx_labels(read_file_bytes(path), path);
}

ImageSet load_idx(const std::string& images_path, const std::string& labels_path) {
  ImageSet set = read_idx_images(images_path);
  set.labels = read_idx_labels(labels_path);
  if (static_cast<int64_t>(set.labels.size()) != set.n)
    throw std::runtime_error(fmt::format("{}: {} labels for {} images in {}", labels_path,
                                         set.labels.size(), set.n, images_path));
  int64_t max_label = -1;
  for (int64_t l : set.labels) max_label = std::max(max_label, l);
  set.num_classes = max_label + 1;
  return set;
}

}  // namespace he::data
