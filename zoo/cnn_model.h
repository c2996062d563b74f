#pragma once
// Base of the supervised CNN models: a backbone ("net": the protocol's small CNN by default,
// or a torchvision net of --backbone) with a `bits`-wide last layer, in-batch similarity from
// labels, and an optional batch norm on the hash layer.
#include <optional>

#include "losses/generic.h"
#include "losses/hashing.h"
#include "losses/similarity.h"
#include "zoo/backbones.h"
#include "zoo/model.h"

namespace he::zoo {

// The spec of the network `name` for the data of `c` (channels, side, --input-size), with a
// head of `out` units (0: headless, a feature extractor).
BackboneSpec backbone_spec(const ModelConfig& c, const std::string& name, int64_t out);

class CnnHashModel : public HashModel {
 public:
  // hash_bn_gamma: when set, the recipe puts a BatchNorm1d (hash_bn) on the hash layer's
  // output, its scale (weight) initialised to this value.
  explicit CnnHashModel(const ModelConfig& cfg, std::optional<double> hash_bn_gamma = {});
  Tensor encode(const Tensor& x) override { return output(x); }
  // u (N,bits): the hash layer's output, through hash_bn when the recipe has one.
  Tensor output(const Tensor& x) {
    Tensor u = net->forward(x);
    return hash_bn ? hash_bn->forward(u) : u;
  }
  std::vector<std::pair<std::string, Generator*>> generators() override {
    return {{"dropout", dropout_gen.get()}};
  }
  Backbone* backbone() override { return net.get(); }
  std::shared_ptr<Backbone> net;
  std::shared_ptr<nn::BatchNorm> hash_bn;  // null unless the recipe normalises u
  std::shared_ptr<Generator> dropout_gen;  // part of the run's RNG state
  ModelConfig cfg;
};

// Writes rows of src (B,D) into dst (N,D) at indices (B) i64 (no autograd).
void assign_rows(Tensor& dst, const Tensor& indices, const Tensor& src);

}  // namespace he::zoo
