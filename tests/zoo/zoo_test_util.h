#pragma once
// Shared by the zoo tests: whether the Fashion-MNIST package is installed (tests that train
// on it skip themselves without it), and training batches cut from an image set.
#include "engine/data/datasets.h"
#include "zoo/encode.h"
#include "zoo/model.h"

namespace he::zoo::test {
inline bool have_fashion_mnist() {
  try {
    data::resolve_dataset("fashion-mnist");
    return true;
  } catch (...) {
    return false;
  }
}

// Images [begin, begin + n) of `set` with their labels and training-set indices.
inline TrainBatch batch_of(const data::ImageSet& set, int64_t begin, int64_t n) {
  TrainBatch b;
  b.images = images_tensor(set, begin, n);
  b.labels = labels_tensor(set).narrow(0, begin, n).contiguous();
  b.indices = Tensor::arange(begin, begin + n, 1, DType::i64);
  return b;
}
}  // namespace he::zoo::test
