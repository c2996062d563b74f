#pragma once
// Run checkpoints: one safetensors file with the model's state_dict under its PyTorch-style
// names, the optimiser state under "optimizer.", the loss history under "trainer.", and in
// the metadata the run's options, its position (epoch, batch, iteration) and every random
// stream's (seed, offset): all an exact continuation needs.
#include <map>
#include <string>
#include <vector>

#include "engine/io/safetensors.h"
#include "zoo/model.h"
#include "zoo/trainer.h"

namespace he::zoo {

struct RunPosition {
  int64_t epoch = 0;      // the epoch in progress (or the next one when batch == 0)
  int64_t batch = 0;      // batches of `epoch` already done
  int64_t iteration = 0;  // global step count
  double compute_seconds = 0, wall_seconds = 0;
  int64_t timed_images = 0;
  std::vector<float> losses;  // one per iteration (the main part's loss)
  // The extra parts' losses by part name (HashModel::make_extra_parts), one per iteration.
  std::map<std::string, std::vector<float>> part_losses;
};

std::string options_json(const TrainOptions& o);
TrainOptions options_from_json(const std::string& json);
// options_json without the options a --resume may change (epochs, lr, k, threads,
// skip_nonfinite, pretrained): a checkpoint continues only a run whose identity is the same.
std::string run_identity_json(const TrainOptions& o);

// `extra`: the model's extra parts, whose optimiser states go under "optimizer_<name>.".
void save_checkpoint(const std::string& path, HashModel& model, const optim::Optimizer& opt,
                     const TrainOptions& o, const RunPosition& pos,
                     const std::vector<ExtraPart>& extra = {});
// checkpoint.safetensors -> checkpoint.prev.safetensors: save_checkpoint keeps the one
// before the newest there, so a damaged newest file still leaves a run to resume.
std::string previous_checkpoint_path(const std::string& path);

// The newest readable of `path` and its previous_checkpoint_path. `used` gets the file read;
// `skipped` gets why `path` was passed over ("" when it was not). Throws std::runtime_error
// with both reasons when neither reads.
SafetensorsFile read_checkpoint_or_previous(const std::string& path, std::string* used,
                                            std::string* skipped);

// Loads into an already built model and optimisers (either may be null: weights only);
// returns the position to continue from.
RunPosition load_checkpoint(const SafetensorsFile& file, HashModel& model, optim::Optimizer* opt,
                            std::vector<ExtraPart>* extra = nullptr);

}  // namespace he::zoo
