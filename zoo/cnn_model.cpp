#include "zoo/cnn_model.h"

#include <cstring>
#include <stdexcept>

namespace he::zoo {

BackboneSpec backbone_spec(const ModelConfig& c, const std::string& name, int64_t out) {
  BackboneSpec spec;
  spec.name = name, spec.out = out;
  spec.in_channels = c.in_channels, spec.image_size = c.image_size;
  spec.input_size = c.input_size;
  spec.data_mean = c.data_mean, spec.data_std = c.data_std;
  return spec;
}

CnnHashModel::CnnHashModel(const ModelConfig& c, std::optional<double> hash_bn_gamma) : cfg(c) {
  Generator init(c.seed);
  dropout_gen = std::make_shared<Generator>(c.seed + 1);
  net = register_module(
      "net", make_backbone(backbone_spec(c, c.backbone.empty() ? "small" : c.backbone, c.bits),
                           init, dropout_gen));
  if (hash_bn_gamma) {
    hash_bn = register_module("hash_bn", std::make_shared<nn::BatchNorm>(c.bits));
    hash_bn->weight.detach().fill_(*hash_bn_gamma);
  }
}

std::unique_ptr<optim::Optimizer> HashModel::make_optimizer(const ModelConfig& cfg) {
  optim::AdamOptions o;
  o.lr = cfg.lr;
  return std::make_unique<optim::Adam>(parameters(), o);
}

Tensor HashModel::extra_loss(size_t part, const TrainBatch&, int64_t) {
  throw std::logic_error("extra_loss(" + std::to_string(part) +
                         "): this model has no extra parts (make_extra_parts)");
}

void assign_rows(Tensor& dst, const Tensor& indices, const Tensor& src) {
  Tensor s = src.detach().contiguous().to(dst.dtype());
  Tensor idx = indices.contiguous();
  const int64_t d = dst.size(1), n = dst.size(0);
  if (!dst.is_contiguous() || s.size(1) != d || s.size(0) != idx.numel())
    throw std::invalid_argument("assign_rows: " + src.shape_str() + " into " + dst.shape_str());
  const int64_t* ip = idx.data<int64_t>();
  const size_t row = d * dtype_size(dst.dtype());
  for (int64_t i = 0; i < idx.numel(); ++i) {
    if (ip[i] < 0 || ip[i] >= n) throw std::out_of_range("assign_rows: index out of range");
    std::memcpy(static_cast<char*>(dst.raw_data()) + ip[i] * row,
                static_cast<const char*>(s.raw_data()) + i * row, row);
  }
}

}  // namespace he::zoo
