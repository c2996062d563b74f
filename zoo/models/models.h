#pragma once
// Factories of the zoo's models (one file per family in zoo/models/).
#include "zoo/cnn_model.h"

namespace he::zoo {
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
