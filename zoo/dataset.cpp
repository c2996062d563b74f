#include "zoo/dataset.h"

#include <fmt/format.h>

#include <cstdlib>

#include "zoo/trainer.h"

namespace he::zoo {

std::string image_cache_dir() {
  if (const char* d = std::getenv("HE_CACHE_DIR"); d && *d) return d;
  if (const char* d = std::getenv("XDG_CACHE_HOME"); d && *d) return std::string(d) + "/hashengine";
  if (const char* d = std::getenv("HOME"); d && *d) return std::string(d) + "/.cache/hashengine";
  return "";
}

data::LoadedData load_run_data(const TrainOptions& o) {
  data::DataOptions d;
  d.protocol = o.protocol;
  d.quick = o.quick;
  d.skip_bad_images = o.skip_bad_images;
  d.threads = o.threads;
  d.cache_dir = image_cache_dir();
  const data::DataSpec spec = data::parse_data_spec(o.data);
  // --input-size sizes the decoded images of list and folder sets; for the fixed-size sets
  // (IDX, CIFAR) it stays the side the torchvision backbones resize to (backbones.h).
  if (spec.kind == data::DataSpec::Kind::kList || spec.kind == data::DataSpec::Kind::kFolder)
    d.image_size = o.input_size;
  return data::load_data(spec, d);
}

data::TransformOptions training_transform(const data::LoadedData& d) {
  data::TransformOptions t;
  t.mean = d.split.train.mean, t.std = d.split.train.std;
  if (d.resized) {  // DeepHash-pytorch's training augmentation, at the decoded side
    t.random_resized_crop = d.split.train.h;
    t.random_hflip = true;
  }
  return t;
}

int64_t resolve_k(int64_t k, const data::LoadedData& d) {
  if (k < 0) throw std::invalid_argument(fmt::format("--k {}: give a positive k", k));
  if (k == 0) k = d.default_k;
  return k == 0 ? d.split.database.n : k;
}

std::string data_summary(const TrainOptions& o, const data::LoadedData& d, bool default_k) {
  const data::ImageSet& t = d.split.train;
  return fmt::format(
      "data {}{}: train {}  database {}  queries {}  {}x{}x{}  {} classes{}  k {}{}{}", o.data,
      o.protocol.empty() ? "" : " (protocol " + o.protocol + ")", t.n, d.split.database.n,
      d.split.query.n, t.c, t.h, t.w, t.num_classes, t.multi_label() ? " (multi-label)" : "", o.k,
      default_k ? " (the data set's default)" : "",
      d.resized ? "  augment: random resized crop + flip" : "");
}

}  // namespace he::zoo
