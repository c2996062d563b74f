#pragma once
// The small vision transformer (layers/transformer.h) as a zoo backbone (--backbone vit), under
// torchvision's VisionTransformer names: conv_proj.*, class_token, encoder.*, and the head as
// heads.head.* (torchvision's classifier head), so weights move to and from torchvision's
// vit models of the same sizes.
#include "zoo/backbones.h"

namespace he::zoo {

class VitBackbone : public Backbone {
 public:
  // The zoo's ViT for images of `channels` x `image_size`^2: patch 7 where the side is a
  // multiple of 7 (16 patches on 28x28), else 4; width 64, 4 blocks of 4 heads, MLP 128.
  static nn::ViTConfig config_for(int64_t channels, int64_t image_size);
  VitBackbone(const nn::ViTConfig& cfg, int64_t out, Generator& init);
  Tensor features_of(const Tensor& x) override;  // (N,hidden): the class token's feature
  int64_t feature_dim() const override { return vit_->cfg.hidden_dim; }
  // (N,hidden,side,side): the patch tokens after the encoder, on the patch grid.
  Tensor feature_map(const Tensor& x) override;
  int64_t map_channels() const override { return vit_->cfg.hidden_dim; }
  std::string head_prefix() const override { return "heads.head."; }
  std::string name() const override { return "ViT"; }

 private:
  std::shared_ptr<nn::ViT> vit_;  // its parts are registered here, not the ViT itself
};

}  // namespace he::zoo
