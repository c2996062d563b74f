#include "zoo/nets/vit_backbone.h"

#include <fmt/format.h>

#include <stdexcept>

namespace he::zoo {

namespace {
// torchvision's `heads` (an nn.Sequential with one named entry, "head").
class Heads : public nn::Module {
 public:
  explicit Heads(std::shared_ptr<nn::Linear> head) { register_module("head", std::move(head)); }
  std::string name() const override { return "Heads"; }
};
}  // namespace

nn::ViTConfig VitBackbone::config_for(int64_t channels, int64_t image_size) {
  nn::ViTConfig v;
  v.channels = channels, v.image_size = image_size;
  v.patch_size = image_size % 7 == 0 ? 7 : 4;
  if (image_size % v.patch_size != 0)
    throw std::invalid_argument(fmt::format(
        "--backbone vit: images of side {} (a multiple of 7 or of 4 is needed)", image_size));
  return v;
}

VitBackbone::VitBackbone(const nn::ViTConfig& cfg, int64_t out, Generator& init)
    : vit_(std::make_shared<nn::ViT>(cfg, init)) {
  register_module("conv_proj", vit_->conv_proj);
  register_parameter("class_token", vit_->class_token);
  register_module("encoder", vit_->encoder);
  if (out > 0) {
    head = std::make_shared<nn::Linear>(cfg.hidden_dim, out, init);
    register_module("heads", std::make_shared<Heads>(head));
  }
}

Tensor VitBackbone::features_of(const Tensor& x) { return vit_->forward(x); }

Tensor VitBackbone::feature_map(const Tensor& x) {
  Tensor tokens = vit_->tokens(x);  // (N, 1 + side^2, hidden)
  const int64_t n = x.size(0), side = vit_->cfg.image_size / vit_->cfg.patch_size;
  return tokens.narrow(1, 1, side * side)
      .transpose(1, 2)
      .contiguous()
      .reshape({n, vit_->cfg.hidden_dim, side, side});
}

}  // namespace he::zoo
