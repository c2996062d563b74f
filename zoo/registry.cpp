// The zoo's model table: binary name -> the entry (factory, summary, options) that the model's
// file in zoo/models/ defines.
#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "zoo/model.h"

namespace he::zoo {

// Every model, in --help order: one line each, naming the `<name>_model` entry of its file.
#define HE_ZOO_MODELS(X) \
  X(hashnet)             \
  X(dpsh)                \
  X(dhn)                 \
  X(dsh)                 \
  X(dch)                 \
  X(dtsh)                \
  X(greedyhash)          \
  X(csq)                 \
  X(dsdh)                \
  X(adsh)                \
  X(lsh)                 \
  X(itq)                 \
  X(binae)               \
  X(tbh)                 \
  X(deepbit)             \
  X(uth)                 \
  X(greedyhash_u)        \
  X(ssdh)                \
  X(bingan)              \
  X(bgan)                \
  X(pseudo)              \
  X(dvb)                 \
  X(attnhash)            \
  X(rnnhash)             \
  X(vithash)             \
  X(drlih)               \
  X(siamese)             \
  X(triplet)             \
  X(msloss)              \
  X(dqn)                 \
  X(dpq)                 \
  X(pq)                  \
  X(opq)

#define HE_DECLARE_ENTRY(id) extern const ModelEntry id##_model;
HE_ZOO_MODELS(HE_DECLARE_ENTRY)
#undef HE_DECLARE_ENTRY

namespace {
#define HE_ENTRY_ADDRESS(id) &id##_model,
const ModelEntry* const kModels[] = {HE_ZOO_MODELS(HE_ENTRY_ADDRESS)};
#undef HE_ENTRY_ADDRESS

// The entry named `name`, or null.
const ModelEntry* find_entry(const std::string& name) {
  const auto* it = std::find_if(std::begin(kModels), std::end(kModels),
                                [&](const ModelEntry* e) { return name == e->name; });
  return it == std::end(kModels) ? nullptr : *it;
}
}  // namespace

std::vector<std::string> model_names() {
  std::vector<std::string> n;
  for (const ModelEntry* e : kModels) n.push_back(e->name);
  return n;
}

std::shared_ptr<HashModel> make_model(const std::string& name, const ModelConfig& cfg) {
  const ModelEntry* e = find_entry(name);
  if (!e)
    throw std::invalid_argument(
        fmt::format("unknown model '{}'; known: {}", name, fmt::join(model_names(), ", ")));
  ModelConfig c = cfg;
  if (c.backbone.empty()) c.backbone = e->backbone;
  return e->make(c);
}

bool model_is_semi_supervised(const std::string& name) {
  const ModelEntry* e = find_entry(name);
  return e && e->semi_supervised;
}

bool model_fits_clusters(const std::string& name) {
  const ModelEntry* e = find_entry(name);
  return e && e->clusters;
}

bool model_has_float_descriptors(const std::string& name) {
  const ModelEntry* e = find_entry(name);
  return e && e->float_descriptors;
}

bool model_is_quantised(const std::string& name) {
  const ModelEntry* e = find_entry(name);
  return e && e->quantised;
}

std::string model_default_backbone(const std::string& name) {
  const ModelEntry* e = find_entry(name);
  return e && *e->backbone ? e->backbone : "small";
}

std::string model_summary(const std::string& name) {
  const ModelEntry* e = find_entry(name);
  return e ? e->summary : "";
}

}  // namespace he::zoo
