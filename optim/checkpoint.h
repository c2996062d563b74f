#pragma once
// Optimiser state in a safetensors checkpoint: the state tensors under `prefix` next to the
// model's weights, the scalars (step counts, group rates) as exact decimal strings in the
// metadata under the same prefix. Loading them back and calling load_state_dict continues
// bit for bit where the saved run stopped.
#include <string>

#include "engine/io/safetensors.h"
#include "optim/optimizer.h"

namespace he::optim {

// Appends dict's tensors to `tensors` and its scalars to `metadata`, each key prefixed.
void add_to_checkpoint(const StateDict& dict, TensorList& tensors, Metadata& metadata,
                       const std::string& prefix = "optimizer.");

// The entries of `file` under `prefix`, prefix removed. Throws std::invalid_argument naming
// the key when a scalar in the metadata is not a number.
StateDict state_dict_from_checkpoint(const SafetensorsFile& file,
                                     const std::string& prefix = "optimizer.");

}  // namespace he::optim
