#pragma once
// What the files of zoo/models/ share. Each file defines the registry entries of its models
// (zoo/model.h ModelEntry); zoo/registry.cpp lists them.
#include <cmath>

#include "zoo/cnn_model.h"

namespace he::zoo {

// The zoo's DPSH settings (pairwise.cpp says why they differ from the recipe's eta 0.1 and
// raw u), shared by `dpsh` and by `pseudo --pseudo-loss dpsh`: a BatchNorm1d on the hash
// layer whose scale starts at sqrt(8 / bits) (so |u|^2 starts near 8 at any length),
// eta = 1, Adam 1e-3.
struct DpshSettings {
  static double hash_bn_gamma(int64_t bits) { return std::sqrt(8.0 / static_cast<double>(bits)); }
  static constexpr double eta = 1.0, lr = 1e-3;
};

// Throws std::invalid_argument for multi-label data: `model` learns from one class per image.
void require_class_ids(const ModelConfig& c, const char* model, const char* why);
}  // namespace he::zoo
