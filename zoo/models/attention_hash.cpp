// Attention hashing in the manner of DSAH (Ge, Zhang, Xia, Chen, Wang & Zheng, 'Deep Spatial
// Attention Hashing Network for Image Retrieval', JVCIR 2019; the survey's section V-E):
// attention re-weights the CNN's last feature map before the hash layer, so the code is drawn
// from the salient regions. Here the gates are CBAM's (Woo 2018): channel attention, then a
// 7x7 spatial attention, on the small CNN's (N,64,7,7) map, then the backbone's fc 512 and the
// hash layer. Loss: HashNet's (continuation tanh(beta u), beta = (1 + 0.005 iter)^0.5, the
// weighted pairwise likelihood on 0.1 <h_i, h_j>), so the comparison with `hashnet` isolates
// the attention.
#include <cmath>
#include <stdexcept>

#include "zoo/models/models.h"

namespace he::zoo {

namespace {
class AttentionHash : public CnnHashModel {
 public:
  explicit AttentionHash(const ModelConfig& c) : CnnHashModel(c) {
    small_ = dynamic_cast<SmallCNN*>(net.get());
    if (!small_)
      throw std::invalid_argument("attnhash: needs the small CNN backbone, not '" + c.backbone +
                                  "' (the attention sits on its 64-channel feature map)");
    Generator init(c.seed + 2);
    attention = register_module("attention", std::make_shared<nn::CBAM>(64, 8, init));
  }
  Tensor encode(const Tensor& x) override {
    Tensor map = attention->forward(small_->features->forward(x));
    return small_->head->forward(small_->fc->forward(map.flatten(1)));
  }
  Tensor loss(const TrainBatch& b, int64_t iter) override {
    beta_ = std::sqrt(1.0 + 0.005 * static_cast<double>(iter));
    Tensor h = continuation(b.all_rows(encode(b.images)), beta_);
    return losses::hashnet(h, losses::similarity(b.all_rows(b.labels)), 0.1);
  }
  bool gathers_rows() const override { return true; }
  std::map<std::string, double> log_values() const override { return {{"beta", beta_}}; }
  // CBAM's spatial gate on the channel-gated map: where in the 7x7 grid the code looks.
  std::optional<Tensor> attention_maps(const Tensor& x) override {
    Tensor map = attention->channel_gate->forward(small_->features->forward(x));
    return attention->spatial_gate->attention_map(map);
  }
  std::shared_ptr<nn::CBAM> attention;

 private:
  SmallCNN* small_;
  double beta_ = 1;
};
}  // namespace

extern const ModelEntry attnhash_model{
    .name = "attnhash",
    .make = make_model_of<AttentionHash>,
    .summary =
        "Attention hashing (DSAH, Ge 2019): CBAM channel + spatial attention on the small CNN's "
        "feature map before the hash layer, HashNet's pairwise loss"};

}  // namespace he::zoo
