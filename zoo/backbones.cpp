#include "zoo/backbones.h"

namespace he::zoo {

SmallCNN::SmallCNN(int64_t out, Generator& init, std::shared_ptr<Generator> dropout_gen,
                   int64_t in_channels, int64_t image_size) {
  using namespace nn;
  features = register_module(
      "features", std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
                      std::make_shared<Conv2d>(in_channels, 32, 5, init, same_padding(5)),
                      std::make_shared<BatchNorm>(32), ReLU(), std::make_shared<MaxPool2d>(2),
                      std::make_shared<Conv2d>(32, 64, 5, init, same_padding(5)),
                      std::make_shared<BatchNorm>(64), ReLU(), std::make_shared<MaxPool2d>(2)}));
  const int64_t side = image_size / 4;
  fc = register_module("fc", std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
                                 std::make_shared<Linear>(64 * side * side, 512, init), ReLU(),
                                 std::make_shared<Dropout>(0.5, std::move(dropout_gen))}));
  head = register_module("head", std::make_shared<Linear>(512, out, init));
}

Tensor SmallCNN::features_of(const Tensor& x) {
  return fc->forward(features->forward(x).flatten(1));
}

Tensor SmallCNN::forward(const Tensor& x) { return head->forward(features_of(x)); }

}  // namespace he::zoo
