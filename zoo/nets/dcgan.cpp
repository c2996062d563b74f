// DCGAN-style discriminator trunk and generator (see dcgan.h).
#include "zoo/nets/dcgan.h"

#include "engine/data/datasets.h"

namespace he::nn {

namespace {
Conv2dOptions stride2() {
  Conv2dOptions o;
  o.stride_h = o.stride_w = 2;
  o.pad_h = o.pad_w = 1;
  return o;
}
}  // namespace

std::shared_ptr<Sequential> dcgan_trunk(int64_t hidden, Generator& gen, bool batch_norm) {
  auto trunk = std::make_shared<Sequential>();
  trunk->push_back(std::make_shared<Conv2d>(1, 32, 4, gen, stride2()));
  trunk->push_back(LeakyReLU(0.2));
  trunk->push_back(std::make_shared<Conv2d>(32, 64, 4, gen, stride2()));
  if (batch_norm) trunk->push_back(std::make_shared<BatchNorm>(64));
  trunk->push_back(LeakyReLU(0.2));
  trunk->push_back(std::make_shared<Flatten>());
  trunk->push_back(std::make_shared<Linear>(64 * 7 * 7, hidden, gen));
  trunk->push_back(LeakyReLU(0.2));
  return trunk;
}

std::shared_ptr<Sequential> dcgan_generator(int64_t in, Generator& gen) {
  auto to_maps = std::make_shared<Lambda>("Unflatten", [](const Tensor& x) {
    return x.reshape({x.size(0), 64, 7, 7});
  });
  auto to_pixels = std::make_shared<Lambda>("NormalisedPixels", [](const Tensor& x) {
    return div(sub(sigmoid(x), data::kFashionMnistMean), data::kFashionMnistStd);
  });
  return std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
      std::make_shared<Linear>(in, 64 * 7 * 7, gen), std::make_shared<BatchNorm>(64 * 7 * 7),
      ReLU(), to_maps, std::make_shared<ConvTranspose2d>(64, 32, 4, gen, stride2()),
      std::make_shared<BatchNorm>(32), ReLU(),
      std::make_shared<ConvTranspose2d>(32, 1, 4, gen, stride2()), to_pixels});
}

}  // namespace he::nn
