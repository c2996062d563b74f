#pragma once
// From data sets to tensors and codes: protocol normalisation, batched encoding in eval
// mode, packing, labels for the metrics.
#include "engine/data/image_set.h"
#include "retrieval/codes.h"
#include "retrieval/metrics.h"
#include "zoo/model.h"
#include "zoo/search_grid.h"

namespace he::zoo {

// Images [begin, begin + count) of `set` as (count,C,H,W) f32, /255 then normalised with the
// set's per-channel mean and std (protocol FM's Fashion-MNIST values when it has none).
Tensor images_tensor(const data::ImageSet& set, int64_t begin, int64_t count);
// A one-image set (no labels) holding a copy of pixels (C,H,W) u8.
data::ImageSet one_image_set(const uint8_t* pixels, int64_t c, int64_t h, int64_t w);
// Loader batch -> tensors; multi-label batches give labels (B,C) f32 (losses::similarity).
TrainBatch to_train_batch(const data::Batch& b);
// Labels of the set as (N) i64, or (N,C) f32 multi-hot for a multi-label set.
Tensor labels_tensor(const data::ImageSet& set);
retrieval::Labels retrieval_labels(const data::ImageSet& set);

// The model's attention map (HashModel::attention_maps) of every image, in eval mode and
// without autograd; throws std::invalid_argument when the model has none.
std::vector<HeatMap> attention_overlays(HashModel& model, const data::ImageSet& set,
                                        const std::string& model_name);
// u = model.encode(x) (database: model.encode_database(x)) for every image, in eval mode and
// without autograd: (N,bits) f32.
Tensor encode_set(HashModel& model, const data::ImageSet& set, int64_t batch = 1000,
                  bool database = false);
// Packs sign(u) (sign(0) = +1).
retrieval::PackedCodes pack(const Tensor& u);

}  // namespace he::zoo
