#include "engine/data/cifar.h"

#include <stdexcept>

#include <fmt/format.h>

#include "engine/data/file_io.h"

namespace he::data {

namespace {
constexpr int64_t kPixels = 3 * 32 * 32;
int64_t class_count(CifarKind kind) {
  return kind == CifarKind::kCifar10 ? 10 : kind == CifarKind::kCifar100Fine ? 100 : 20;
}
}  // namespace

void append_cifar(ImageSet& set, const uint8_t* bytes, size_t size_u, const std::string& path,
                  CifarKind kind) {
  const int64_t label_bytes = kind == CifarKind::kCifar10 ? 1 : 2;
  const int64_t record = label_bytes + kPixels;
  const int64_t label_at = kind == CifarKind::kCifar100Fine ? 1 : 0;
  const int64_t classes = class_count(kind);
  const int64_t size = static_cast<int64_t>(size_u);
  if (size == 0 || size % record != 0)
    throw std::runtime_error(
        fmt::format("{}: size {} is not a positive multiple of the {}-byte "
                    "record (truncated record at offset {})",
                    path, size, record, size - size % record));
  const int64_t n = size / record;
  set.pixels.reserve(set.pixels.size() + n * kPixels);
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* rec = bytes + i * record;
    int64_t label = rec[label_at];
    if (label >= classes)
      throw std::runtime_error(fmt::format("{}: label {} at offset {} is not below {}", path, label,
                                           i * record + label_at, classes));
    set.labels.push_back(label);
    set.pixels.insert(set.pixels.end(), rec + label_bytes, rec + record);
  }
  set.n += n;
}

ImageSet load_cifar(const std::vector<std::string>& files, CifarKind kind) {
  ImageSet set;
  set.c = 3, set.h = 32, set.w = 32;
  set.num_classes = class_count(kind);
  for (const std::string& path : files) {
    std::vector<uint8_t> bytes = read_file_bytes(path);
    append_cifar(set, bytes.data(), bytes.size(), path, kind);
  }
  return set;
}

ImageSet load_cifar_dir(const std::string& dir, CifarKind kind, Split split) {
  std::vector<std::string> files;
  if (kind == CifarKind::kCifar10) {
    if (split == Split::kTrain) {
      for (int i = 1; i <= 5; ++i) files.push_back(fmt::format("{}/data_batch_{}.bin", dir, i));
    } else {
      files.push_back(dir + "/test_batch.bin");
    }
  } else {
    files.push_back(dir + (split == Split::kTrain ? "/train.bin" : "/test.bin"));
  }
  return load_cifar(files, kind);
}

}  // namespace he::data
