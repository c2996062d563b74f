#pragma once
// Where a run's backbone weights come from before training: --pretrained (torchvision-named
// safetensors) or, for LSH / ITQ, --features (the backbone of a CNN zoo checkpoint).
#include <string>

#include "zoo/model.h"
#include "zoo/trainer.h"

namespace he::zoo {

// With --features CKPT: sets o.backbone and o.input_size to those of the checkpoint's run
// (throws when --backbone names another one, or CKPT is not a zoo checkpoint).
void resolve_feature_source(TrainOptions& o);

// Loads --pretrained or --features weights into model.backbone(); returns a line for the log
// ("" when neither is given, or a note for LSH / ITQ on an untrained backbone). Throws when the
// model has no backbone to load into, when
// --features is given to a model trained by gradient, or when the weights do not fit.
std::string load_backbone_weights(const TrainOptions& o, HashModel& model);

}  // namespace he::zoo
