#pragma once
// Shared by the zoo tests: whether the Fashion-MNIST package is installed (tests that train
// on it skip themselves without it), the first n training images, training batches cut from
// an image set, and a briefly trained CNN run whose backbone --features can load.
#include <unistd.h>

#include <filesystem>
#include <map>

#include "engine/data/datasets.h"
#include "zoo/encode.h"
#include "zoo/model.h"
#include "zoo/trainer.h"

namespace he::zoo::test {
inline bool have_fashion_mnist() {
  try {
    data::resolve_dataset("fashion-mnist");
    return true;
  } catch (...) {
    return false;
  }
}

// The first n Fashion-MNIST training images, loaded once per n in a test binary.
inline const data::ImageSet& first_train_images(int64_t n) {
  static std::map<int64_t, data::ImageSet> loaded;
  auto it = loaded.find(n);
  if (it == loaded.end())
    it =
        loaded
            .emplace(n, data::take_first(data::load_split("fashion-mnist", data::Split::kTrain), n))
            .first;
  return it->second;
}

// Images [begin, begin + n) of `set` with their labels and training-set indices.
inline TrainBatch batch_of(const data::ImageSet& set, int64_t begin, int64_t n) {
  TrainBatch b;
  b.images = images_tensor(set, begin, n);
  b.labels = labels_tensor(set).narrow(0, begin, n).contiguous();
  b.indices = Tensor::arange(begin, begin + n, 1, DType::i64);
  return b;
}

// `name`, suffixed with this process's id, in the system's temporary folder: two test runs
// at once (two checkouts, or the sanitizer suite beside the plain one) must not empty each
// other's run folders.
inline std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / (name + "." + std::to_string(::getpid())))
      .string();
}

// A HashNet run (16 bits, FM-quick) stopped after one step in the temporary folder `dir`
// (emptied first); returns its checkpoint, whose small-CNN backbone --features loads.
inline std::string briefly_trained_cnn(const std::string& dir) {
  TrainOptions cnn;
  cnn.model = "hashnet", cnn.bits = 16, cnn.quick = true, cnn.quiet = true;
  cnn.stop_after_iters = 1;
  cnn.out = temp_path(dir);
  std::filesystem::remove_all(cnn.out);
  train(cnn);
  return cnn.out + "/checkpoint.safetensors";
}
}  // namespace he::zoo::test
