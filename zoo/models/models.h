#pragma once
// Factories of the zoo's models (one file per family in zoo/models/).
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

std::shared_ptr<HashModel> make_hashnet(const ModelConfig& c);
std::shared_ptr<HashModel> make_dpsh(const ModelConfig& c);
std::shared_ptr<HashModel> make_dhn(const ModelConfig& c);
std::shared_ptr<HashModel> make_dsh(const ModelConfig& c);
std::shared_ptr<HashModel> make_dch(const ModelConfig& c);
std::shared_ptr<HashModel> make_dtsh(const ModelConfig& c);
std::shared_ptr<HashModel> make_greedyhash(const ModelConfig& c);
std::shared_ptr<HashModel> make_csq(const ModelConfig& c);
std::shared_ptr<HashModel> make_dsdh(const ModelConfig& c);
std::shared_ptr<HashModel> make_adsh(const ModelConfig& c);
std::shared_ptr<HashModel> make_lsh(const ModelConfig& c);
std::shared_ptr<HashModel> make_itq(const ModelConfig& c);
std::shared_ptr<HashModel> make_binae(const ModelConfig& c);
std::shared_ptr<HashModel> make_tbh(const ModelConfig& c);
std::shared_ptr<HashModel> make_deepbit(const ModelConfig& c);
std::shared_ptr<HashModel> make_uth(const ModelConfig& c);
std::shared_ptr<HashModel> make_greedyhash_u(const ModelConfig& c);
std::shared_ptr<HashModel> make_ssdh(const ModelConfig& c);
std::shared_ptr<HashModel> make_bingan(const ModelConfig& c);
std::shared_ptr<HashModel> make_bgan(const ModelConfig& c);
std::shared_ptr<HashModel> make_pseudo(const ModelConfig& c);
std::shared_ptr<HashModel> make_dvb(const ModelConfig& c);
}  // namespace he::zoo
