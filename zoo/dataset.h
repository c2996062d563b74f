#pragma once
// The data a zoo run trains and evaluates on (--data SPEC, engine/data/data_spec.h), and how
// its images reach the model: per-channel normalisation, and for images resized to
// --input-size a random resized crop and a horizontal flip while training.
#include <cstdint>
#include <string>

#include "engine/data/data_spec.h"
#include "engine/data/loader.h"

namespace he::zoo {

struct TrainOptions;

// Where decoded list / folder images are cached: $HE_CACHE_DIR, else
// $XDG_CACHE_HOME/hashengine, else $HOME/.cache/hashengine ("" when none is set).
std::string image_cache_dir();

// Loads o.data (with o.protocol, o.quick, o.skip_bad_images; list and folder images decoded at
// o.input_size when given). Throws before anything is written when the data is bad.
data::LoadedData load_run_data(const TrainOptions& o);

// The loader's transform for the training set: its normalisation, plus a random resized crop
// (back to the stored side) and a horizontal flip when the images were resized on decoding.
data::TransformOptions training_transform(const data::LoadedData& d);

// --k as given, or the data's default when 0; the whole database when that is 0.
int64_t resolve_k(int64_t k, const data::LoadedData& d);

// "data list:/data/nus: train 10500  database 193734  queries 2100  3x224x224  21 classes
// (multi-label)  k 5000 (the data set's default)", with o.k the k used.
std::string data_summary(const TrainOptions& o, const data::LoadedData& d, bool default_k);

}  // namespace he::zoo
