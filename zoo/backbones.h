#pragma once
// Backbones. small_cnn is the 28x28x1 network of protocol.md ('small CNN' recipe):
// conv(1->32, 5x5, pad 2) - BN - ReLU - maxpool 2 -> conv(32->64, 5x5, pad 2) - BN - ReLU -
// maxpool 2 -> flatten (3136) -> fc 512 - ReLU - dropout 0.5 -> fc `out` (raw output u).
#include <memory>

#include "layers/layers.h"

namespace he::zoo {

class SmallCNN : public nn::Module {
 public:
  // out: the width of the last layer (the hash layer's bits, or classes for a classifier).
  SmallCNN(int64_t out, Generator& init, std::shared_ptr<Generator> dropout_gen,
           int64_t in_channels = 1, int64_t image_size = 28);
  Tensor forward(const Tensor& x) override;  // x:(N,C,28,28) -> (N,out)
  Tensor features_of(const Tensor& x);       // (N,512), the input of the last layer
  std::string name() const override { return "SmallCNN"; }
  std::shared_ptr<nn::Sequential> features, fc;
  std::shared_ptr<nn::Linear> head;
};

}  // namespace he::zoo
