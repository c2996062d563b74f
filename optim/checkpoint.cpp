// Optimiser state <-> safetensors tensors and metadata.
#include "optim/checkpoint.h"

#include <fmt/format.h>

#include <cstdlib>
#include <stdexcept>

namespace he::optim {

void add_to_checkpoint(const StateDict& dict, TensorList& tensors, Metadata& metadata,
                       const std::string& prefix) {
  for (const auto& [key, t] : dict.tensors) tensors.emplace_back(prefix + key, t);
  // 17 significant digits: every double survives the round trip through text.
  for (const auto& [key, v] : dict.scalars) metadata[prefix + key] = fmt::format("{:.17g}", v);
}

StateDict state_dict_from_checkpoint(const SafetensorsFile& file, const std::string& prefix) {
  StateDict dict;
  for (const auto& [key, t] : file.tensors)
    if (key.rfind(prefix, 0) == 0) dict.tensors[key.substr(prefix.size())] = t;
  for (const auto& [key, text] : file.metadata) {
    if (key.rfind(prefix, 0) != 0) continue;
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size())
      throw std::invalid_argument(
          fmt::format("optimiser checkpoint: metadata '{}' = '{}' is not a number", key, text));
    dict.scalars[key.substr(prefix.size())] = v;
  }
  return dict;
}

}  // namespace he::optim
