#pragma once
// Shared by the zoo tests: whether the Fashion-MNIST package is installed (tests that train
// on it skip themselves without it).
#include "engine/data/datasets.h"

namespace he::zoo::test {
inline bool have_fashion_mnist() {
  try {
    data::resolve_dataset("fashion-mnist");
    return true;
  } catch (...) {
    return false;
  }
}
}  // namespace he::zoo::test
