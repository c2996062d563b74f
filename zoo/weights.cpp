#include "zoo/weights.h"

#include <fmt/format.h>

#include <stdexcept>

#include "engine/io/safetensors.h"
#include "zoo/backbones.h"
#include "zoo/checkpoint.h"

namespace he::zoo {

namespace {
TrainOptions checkpoint_options(const SafetensorsFile& f, const std::string& path) {
  auto it = f.metadata.find("options");
  if (it == f.metadata.end())
    throw std::runtime_error("--features " + path + ": not a zoo checkpoint (no 'options')");
  return options_from_json(it->second);
}

// The backbone's tensors of a zoo checkpoint, without their prefix: "net." for the CNN models,
// "backbone." for LSH / ITQ on features.
std::map<std::string, Tensor> backbone_tensors(const SafetensorsFile& f, const std::string& path) {
  for (const std::string prefix : {"net.", "backbone."}) {
    std::map<std::string, Tensor> out;
    for (const auto& [name, t] : f.tensors)
      if (name.rfind(prefix, 0) == 0) out[name.substr(prefix.size())] = t;
    if (!out.empty()) return out;
  }
  throw std::runtime_error("--features " + path +
                           ": the checkpoint holds no backbone (no 'net.*' or 'backbone.*' "
                           "tensors); it needs a CNN model's run");
}
}  // namespace

void resolve_feature_source(TrainOptions& o) {
  if (o.features.empty()) return;
  TrainOptions src = checkpoint_options(load_safetensors(o.features), o.features);
  const std::string name =
      src.backbone.empty() || src.backbone == "pixels" ? "small" : src.backbone;
  if (!o.backbone.empty() && o.backbone != name)
    throw std::invalid_argument(fmt::format(
        "--features {} holds a '{}' backbone, not --backbone {}", o.features, name, o.backbone));
  if (o.input_size != 0 && o.input_size != src.input_size)
    throw std::invalid_argument(
        fmt::format("--features {} was trained with --input-size {}, not {}", o.features,
                    src.input_size, o.input_size));
  o.backbone = name;
  o.input_size = src.input_size;
}

std::string load_backbone_weights(const TrainOptions& o, HashModel& model) {
  if (o.pretrained.empty() && o.features.empty())
    return !model.trains_by_gradient() && model.backbone()
               ? fmt::format(
                     "note: the features come from a randomly initialised {} (no "
                     "--pretrained or --features)",
                     model.backbone()->name())
               : "";
  if (!o.pretrained.empty() && !o.features.empty())
    throw std::invalid_argument("--pretrained and --features both name weights; give one");
  if (!o.features.empty() && !model.feature_backbone())
    throw std::invalid_argument(
        "--features: only lsh, itq, pseudo, dvb and tbh fit on a checkpoint's features; start a "
        "CNN model from torchvision weights with --pretrained");
  Backbone* net = o.features.empty() ? model.backbone() : model.feature_backbone();
  if (!net)
    throw std::invalid_argument(
        fmt::format("--pretrained: {} has no backbone here; give --backbone", o.model));
  PretrainedReport r;
  if (!o.pretrained.empty()) {
    r = load_pretrained(*net, o.pretrained);
    return fmt::format("--pretrained {} into {}: {}", o.pretrained, net->name(), r.str());
  }
  SafetensorsFile f = load_safetensors(o.features);
  r = load_pretrained(*net, backbone_tensors(f, o.features), o.features);
  return fmt::format("--features {}: {}'s weights: {}", o.features, net->name(), r.str());
}

}  // namespace he::zoo
