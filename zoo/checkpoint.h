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
  int64_t epoch = 0;       // the epoch in progress (or the next one when batch == 0)
  int64_t batch = 0;       // batches of `epoch` already done
  int64_t iteration = 0;   // global step count
  double compute_seconds = 0, wall_seconds = 0;
  int64_t timed_images = 0;
  std::vector<float> losses;  // one per iteration
};

std::string options_json(const TrainOptions& o);
TrainOptions options_from_json(const std::string& json);

void save_checkpoint(const std::string& path, HashModel& model, const optim::Optimizer& opt,
                     const TrainOptions& o, const RunPosition& pos);
// Loads into an already built model and optimiser; returns the position to continue from.
RunPosition load_checkpoint(const SafetensorsFile& file, HashModel& model, optim::Optimizer* opt);

}  // namespace he::zoo
