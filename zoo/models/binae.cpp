// Binary autoencoder, after Carreira-Perpinan & Raziperchikolaei, 'Hashing with Binary
// Autoencoders', CVPR 2015: the code is the binary bottleneck of an autoencoder that
// reconstructs its input. Their encoder is linear and trained by the method of auxiliary
// coordinates; this is the deep, end-to-end member of the family (shared/recipes.md):
//   u = fc(1024, ReLU) -> fc(bits)          (encoder on the normalised pixels, flattened)
//   b = sign(tanh(u)) in {-1,+1}, straight through to tanh(u) (SignSTE), so dL/du =
//       dL/db (1 - tanh^2 u): the straight-through estimator with a soft clip. (The identity
//       straight-through on u itself lets u drift off: on FM-quick, 32 bits, 5 epochs,
//       mAP@1000 0.39 and bits stuck at 0.6% / 98% ones, against 0.54 with the soft clip.)
//   x' = fc(1024, ReLU) -> fc(input dim)    (decoder)
//   L = mean((x' - x)^2)
// Denoising (Vincent, Larochelle, Bengio & Manzagol, 'Extracting and Composing Robust Features
// with Denoising Autoencoders', ICML 2008): in training the encoder reads a corrupted x, each
// value dropped with probability kCorruption and the others scaled by 1 / (1 - kCorruption)
// (dropout), and the decoder rebuilds the clean x; codes come from the clean x. Protocol FM,
// 5 epochs, mAP@1000 at 32 / 64 bits (ITQ 0.666 / 0.695): no corruption 0.660 / 0.683;
// 0.2: 0.661 / 0.685; 0.4: 0.671 / 0.689; 0.6: 0.674 / 0.700; 0.75: 0.677 / 0.701 (the
// default); 0.85: 0.672 / 0.701. (A 2048-wide hidden layer instead, 2 epochs, 32 bits: 0.661.)
// Labels are not used. Codes are sign(u).
#include "zoo/models/models.h"

namespace he::zoo {

namespace {
class BinaryAutoencoder : public HashModel {
 public:
  static constexpr double kCorruption = 0.75;
  explicit BinaryAutoencoder(const ModelConfig& c)
      : noise_gen_(std::make_shared<Generator>(c.seed + 1)) {
    Generator init(c.seed);
    const int64_t d = c.in_channels * c.image_size * c.image_size, hidden = 1024;
    encoder = register_module(
        "encoder", std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
                       std::make_shared<nn::Linear>(d, hidden, init), nn::ReLU(),
                       std::make_shared<nn::Linear>(hidden, c.bits, init)}));
    decoder = register_module(
        "decoder", std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
                       std::make_shared<nn::Linear>(c.bits, hidden, init), nn::ReLU(),
                       std::make_shared<nn::Linear>(hidden, d, init)}));
  }
  Tensor encode(const Tensor& x) override { return encoder->forward(x.flatten(1)); }
  Tensor loss(const TrainBatch& b, int64_t) override {
    Tensor x = b.images.flatten(1);
    Tensor codes = sign_ste(tanh(encoder->forward(dropout(x, kCorruption, *noise_gen_))));
    return losses::mse(decoder->forward(codes), x);
  }
  std::vector<std::pair<std::string, Generator*>> generators() override {
    return {{"noise", noise_gen_.get()}};
  }
  std::shared_ptr<nn::Sequential> encoder, decoder;

 private:
  std::shared_ptr<Generator> noise_gen_;
};
}  // namespace

extern const ModelEntry binae_model{
    .name = "binae",
    .make = make_model_of<BinaryAutoencoder>,
    .summary =
        "Binary autoencoder (Carreira-Perpinan 2015): sign-STE bottleneck, reconstruction MSE of "
        "the clean input from a corrupted one (denoising, Vincent 2008)"};

}  // namespace he::zoo
