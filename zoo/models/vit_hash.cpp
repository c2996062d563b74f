// Transformer hashing in the manner of TransHash (Chen, Zhang, Wang, Zhang & Zhang,
// 'TransHash: Transformer-based Hamming Hashing for Efficient Image Retrieval', ICMR 2022):
// a vision transformer's class-token feature feeds the hash layer. Here a small ViT trained
// from scratch on 28x28 images (patch 7: 16 tokens + the class token, width 64, 4 blocks of
// 4 heads, MLP 128; layers/transformer.h) and a Linear 64 -> bits hash layer. Loss: HashNet's
// (continuation tanh(beta u), beta = (1 + 0.005 iter)^0.5, weighted pairwise likelihood on
// 0.1 <h_i, h_j>), in place of TransHash's dual-stream Bayesian learning.
#include <cmath>
#include <stdexcept>

#include "zoo/models/models.h"

namespace he::zoo {

namespace {
class VitHash : public HashModel {
 public:
  explicit VitHash(const ModelConfig& c) {
    if (!c.backbone.empty() && c.backbone != "vit")
      throw std::invalid_argument("vithash: its network is the ViT, not '" + c.backbone + "'");
    nn::ViTConfig v;
    v.image_size = c.image_size, v.channels = c.in_channels;
    v.patch_size = c.image_size % 7 == 0 ? 7 : 4;
    Generator init(c.seed);
    vit = register_module("vit", std::make_shared<nn::ViT>(v, init));
    hash = register_module("hash", std::make_shared<nn::Linear>(v.hidden_dim, c.bits, init));
  }
  Tensor encode(const Tensor& x) override { return hash->forward(vit->forward(x)); }
  Tensor loss(const TrainBatch& b, int64_t iter) override {
    beta_ = std::sqrt(1.0 + 0.005 * static_cast<double>(iter));
    Tensor h = continuation(b.all_rows(encode(b.images)), beta_);
    return losses::hashnet(h, losses::similarity(b.all_rows(b.labels)), 0.1);
  }
  bool gathers_rows() const override { return true; }
  // A transformer from scratch learns more slowly than the CNNs (no convolution prior): on
  // protocol FM at 64 bits, 5 epochs gave mAP@1000 0.834 and 15 gave 0.866 (HashNet: 0.884).
  int64_t default_epochs() const override { return 15; }
  std::map<std::string, double> log_values() const override { return {{"beta", beta_}}; }
  std::shared_ptr<nn::ViT> vit;
  std::shared_ptr<nn::Linear> hash;

 private:
  double beta_ = 1;
};
}  // namespace

extern const ModelEntry vithash_model{
    .name = "vithash",
    .make = make_model_of<VitHash>,
    .summary =
        "Transformer hashing (after TransHash, Chen 2022): a small ViT (patch 7, 4 blocks, width "
        "64) from scratch, its class token feeds the hash layer; HashNet's pairwise loss; 15 "
        "epochs"};

}  // namespace he::zoo
