#pragma once
// A user's data set named by one string (--data SPEC) and loaded as a retrieval split:
//   fashion-mnist | mnist  the IDX sets under $HE_DATA_DIR (datasets.h), protocol FM
//   idx:DIR                DIR/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]; train =
//                          database = the training set, queries = t10k
//   cifar10:DIR            DIR/data_batch_{1..5}.bin and test_batch.bin (cifar.h); the
//                          protocol picks DeepHash-pytorch's split (cifar10_protocol)
//   list:DIR               DIR/{train,database,test}.txt in the DeepHash list layout
//                          (image_list.h), paths relative to DIR or absolute
//   folder:DIR             DIR/{train,test}/<class>/*, DIR/database/<class>/* when present
//                          (else the database is the training set)
// Images of list and folder sets are decoded once (image_folder.h) at their own size, which
// must then be the same for all, or resized to a given side (short side, centre crop).
#include <cstdint>
#include <string>
#include <vector>

#include "engine/data/datasets.h"

namespace he::data {

struct DataSpec {
  enum class Kind { kFashionMnist, kMnist, kIdx, kCifar10, kList, kFolder };
  Kind kind = Kind::kFashionMnist;
  std::string dir;          // the DIR of the prefixed forms
  std::string str() const;  // the spec as written: "fashion-mnist", "list:/data/nus"
};
// Throws std::invalid_argument naming the spec and the forms it may take.
DataSpec parse_data_spec(const std::string& text);

struct DataOptions {
  // cifar10 only: "" (train = database = the 50,000 training images, queries = the 10,000
  // test images), "cifar10", "cifar10-1" or "cifar10-2" (cifar10_protocol).
  std::string protocol;
  bool quick = false;            // at most 6,000 train and database images, 1,000 queries
  int64_t image_size = 0;        // list / folder: decode to this side; 0: the images' own size
  bool skip_bad_images = false;  // list / folder: leave out files that cannot be decoded
  int threads = 2;               // decoding threads
  std::string cache_dir;         // list / folder: decoded-image caches go here ("": none)
  uint64_t split_seed = 0;       // the seed of the cifar10 protocols' per-class shuffle
};

struct LoadedData {
  RetrievalSplit split;
  // DeepHash-pytorch's topK for this kind of data: 0 (the whole database) for CIFAR-10,
  // 5,000 for NUS-WIDE and COCO, 1,000 for ImageNet, Fashion-MNIST and anything else.
  int64_t default_k = 1000;
  bool resized = false;  // list / folder images were resized to DataOptions::image_size
  std::vector<std::string> skipped_files;  // with the reason, under skip_bad_images
  std::vector<std::string> cache_notes;    // "train: cache hit <path>", ...
};

// Loads every role of the split, checks it (no empty role, classes and image shapes agreeing)
// and sets each set's per-channel mean / std: protocol FM's for fashion-mnist, else those of
// the training pixels / 255. Throws with the file, line or folder at fault; writes nothing
// but the decoded-image caches, and those only after every image decoded.
LoadedData load_data(const DataSpec& spec, const DataOptions& opts);

// DeepHash-pytorch's CIFAR-10 protocols over the 60,000 images (training batches, then the
// test batch): each class's 6,000 images in a seeded random order, its first t as queries and
// the next r for training, the rest R. cifar10: t = 100, r = 500, database = R (54,000);
// cifar10-1: t = 100, r = 500, database = train + R (59,000); cifar10-2: t = 1,000, r =
// 5,000, database = train (50,000). Throws for another name.
RetrievalSplit cifar10_protocol(const ImageSet& train_batches, const ImageSet& test_batch,
                                const std::string& protocol, uint64_t seed);

// Per-channel mean and std of pixels / 255 over the whole set (population std).
void channel_stats(const ImageSet& set, std::vector<float>& mean, std::vector<float>& std);

// Whether the set is multi-hot with exactly one label in every row.
bool is_one_hot(const ImageSet& set);
// A one-hot set's class ids in place of its rows (other sets are left as they are).
void one_hot_to_labels(ImageSet& set);

}  // namespace he::data
