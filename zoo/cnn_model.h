#pragma once
// Base of the supervised CNN models: a backbone ("net": the protocol's small CNN by default,
// or a torchvision net of --backbone) with a `bits`-wide last layer, in-batch similarity from
// labels, and optional memory banks.
#include "losses/generic.h"
#include "losses/hashing.h"
#include "losses/similarity.h"
#include "zoo/backbones.h"
#include "zoo/model.h"

namespace he::zoo {

class CnnHashModel : public HashModel {
 public:
  explicit CnnHashModel(const ModelConfig& cfg);
  Tensor encode(const Tensor& x) override { return net->forward(x); }
  std::vector<std::pair<std::string, Generator*>> generators() override {
    return {{"dropout", dropout_gen.get()}};
  }
  Backbone* backbone() override { return net.get(); }
  std::shared_ptr<Backbone> net;
  std::shared_ptr<Generator> dropout_gen;  // part of the run's RNG state
  ModelConfig cfg;
};

// A memory bank of the latest outputs for every training image (DPSH, DHN, DSDH reference
// code): row i holds u of image i from the last batch that contained it.
class MemoryBank {
 public:
  MemoryBank(nn::Module& owner, int64_t rows, int64_t bits);
  // Writes u.detach() into the rows `indices` (B) i64; returns the whole bank (N,bits).
  Tensor update(const Tensor& u, const Tensor& indices);
  Tensor bank;
};

// Writes rows of src (B,D) into dst (N,D) at indices (B) i64 (no autograd).
void assign_rows(Tensor& dst, const Tensor& indices, const Tensor& src);

}  // namespace he::zoo
