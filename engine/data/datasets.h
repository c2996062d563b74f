#pragma once
// Named data sets and the retrieval protocol splits of shared/protocol.md.
#include <string>

#include "engine/data/cifar.h"
#include "engine/data/image_set.h"

namespace he::data {

// Protocol normalisation for Fashion-MNIST (pixels / 255, then (x - mean) / std).
inline constexpr float kFashionMnistMean = 0.2860f;
inline constexpr float kFashionMnistStd = 0.3530f;

// Directory of a named data set: $HE_DATA_DIR/<name> when HE_DATA_DIR is set, else
// /usr/share/datasets/<name>. Known names: "fashion-mnist", "mnist" (IDX files). Throws if
// the name is unknown or the directory does not exist.
std::string resolve_dataset(const std::string& name);

// The train (60,000) or test (10,000) split of an IDX data set by name.
ImageSet load_split(const std::string& name, Split split);

// Protocol FM: train = database = the 60,000 training images, query = the 10,000 test
// images. quick (FM-quick): the first 6,000 training and the first 1,000 test images.
struct RetrievalSplit {
  ImageSet train, database, query;
};
RetrievalSplit fm_protocol(bool quick);

}  // namespace he::data
