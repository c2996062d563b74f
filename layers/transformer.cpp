#include "layers/transformer.h"

#include <fmt/format.h>

#include <cmath>
#include <numbers>
#include <stdexcept>

namespace he::nn {

Tensor gelu_tanh(const Tensor& x) {
  const double k = std::sqrt(2.0 / std::numbers::pi);
  Tensor inner = mul(add(x, mul(pow(x, 3.0), 0.044715)), k);
  return mul(mul(x, 0.5), add(tanh(inner), 1.0));
}

MultiheadAttention::MultiheadAttention(int64_t e, int64_t h, Generator& gen, bool bf, DType dt)
    : embed_dim(e), num_heads(h), batch_first(bf) {
  if (h < 1 || e % h != 0)
    throw std::invalid_argument(
        fmt::format("MultiheadAttention: embed_dim {} is not divisible by {} heads", e, h));
  // PyTorch: xavier_uniform_ on in_proj_weight, zero biases.
  const double bound = std::sqrt(6.0 / static_cast<double>(e + 3 * e));
  in_proj_weight =
      register_parameter("in_proj_weight", Tensor::uniform({3 * e, e}, -bound, bound, gen, dt));
  in_proj_bias = register_parameter("in_proj_bias", Tensor::zeros({3 * e}, dt));
  out_proj = register_module("out_proj", std::make_shared<Linear>(e, e, gen, true, dt));
  NoGradGuard ng;
  out_proj->bias.copy_(Tensor::zeros({e}, dt));
}

Tensor MultiheadAttention::forward(const Tensor& x) { return attend(x, x, x).output; }

AttentionOut MultiheadAttention::attend(const Tensor& query, const Tensor& key,
                                        const Tensor& value) {
  const int64_t e = embed_dim, h = num_heads, hd = e / h;
  auto check = [&](const Tensor& t, const char* what) {
    if (t.dim() != 3 || t.size(2) != e)
      throw std::invalid_argument(
          fmt::format("MultiheadAttention: {} {} is not (.., .., {})", what, t.shape_str(), e));
  };
  check(query, "query"), check(key, "key"), check(value, "value");
  // Work batch-first: (N,L,E).
  Tensor q = batch_first ? query : query.transpose(0, 1);
  Tensor k = batch_first ? key : key.transpose(0, 1);
  Tensor v = batch_first ? value : value.transpose(0, 1);
  if (k.shape() != v.shape() || q.size(0) != k.size(0))
    throw std::invalid_argument(fmt::format("MultiheadAttention: query {}, key {}, value {} differ",
                                            query.shape_str(), key.shape_str(), value.shape_str()));
  const int64_t n = q.size(0), l = q.size(1), s = k.size(1);
  // (N,T,E) -> (N,h,T,hd) for projection block `part` (0: q, 1: k, 2: v).
  auto project = [&](const Tensor& t, int64_t part, int64_t len) {
    Tensor p =
        linear(t, in_proj_weight.narrow(0, part * e, e), in_proj_bias.narrow(0, part * e, e));
    return p.reshape({n, len, h, hd}).permute({0, 2, 1, 3}).contiguous();
  };
  Tensor qh = project(q, 0, l), kh = project(k, 1, s), vh = project(v, 2, s);
  Tensor scores = div(matmul(qh, kh.transpose(2, 3).contiguous()), std::sqrt(double(hd)));
  Tensor attn = softmax(scores, -1);  // (N,h,L,S)
  Tensor ctx = matmul(attn, vh).permute({0, 2, 1, 3}).reshape({n, l, e});
  Tensor out = out_proj->forward(ctx);
  return {batch_first ? out : out.transpose(0, 1), mean(attn, {1})};
}

TransformerEncoderBlock::TransformerEncoderBlock(int64_t dim, int64_t heads, int64_t mlp_dim,
                                                 Generator& gen, DType dt) {
  ln_1 = register_module("ln_1", std::make_shared<LayerNorm>(Shape{dim}, 1e-6, dt));
  self_attention = register_module("self_attention",
                                   std::make_shared<MultiheadAttention>(dim, heads, gen, true, dt));
  ln_2 = register_module("ln_2", std::make_shared<LayerNorm>(Shape{dim}, 1e-6, dt));
  // mlp.0 Linear, mlp.1 GELU, mlp.2 Dropout, mlp.3 Linear, mlp.4 Dropout in torchvision; the
  // parameter-free entries keep the indices.
  auto mlp = register_module("mlp", std::make_shared<Sequential>());
  fc1 = std::make_shared<Linear>(dim, mlp_dim, gen, true, dt);
  fc2 = std::make_shared<Linear>(mlp_dim, dim, gen, true, dt);
  mlp->push_back(fc1);
  mlp->push_back(std::make_shared<Lambda>("GELU", gelu_tanh));
  mlp->push_back(std::make_shared<Lambda>("Identity", [](const Tensor& t) { return t; }));
  mlp->push_back(fc2);
}

Tensor TransformerEncoderBlock::forward(const Tensor& x) {
  Tensor y = add(x, self_attention->forward(ln_1->forward(x)));
  return add(y, fc2->forward(gelu_tanh(fc1->forward(ln_2->forward(y)))));
}

namespace {
// torchvision's Encoder: pos_embedding, layers.encoder_layer_<i>, ln.
class ViTEncoder : public Module {
 public:
  ViTEncoder(const ViTConfig& c, int64_t seq_len, Generator& gen, DType dt) {
    pos_embedding = register_parameter(
        "pos_embedding", mul(Tensor::randn({1, seq_len, c.hidden_dim}, gen, dt), 0.02));
    layers = register_module("layers", std::make_shared<Sequence>());
    for (int64_t i = 0; i < c.num_layers; ++i)
      layers->add(
          "encoder_layer_" + std::to_string(i),
          std::make_shared<TransformerEncoderBlock>(c.hidden_dim, c.num_heads, c.mlp_dim, gen, dt));
    ln = register_module("ln", std::make_shared<LayerNorm>(Shape{c.hidden_dim}, 1e-6, dt));
  }
  Tensor forward(const Tensor& x) override {
    return ln->forward(layers->forward(add(x, pos_embedding)));
  }
  std::string name() const override { return "Encoder"; }

 private:
  // Runs named children in order (torchvision's OrderedDict-built nn.Sequential).
  class Sequence : public Module {
   public:
    void add(const std::string& n, std::shared_ptr<Module> m) { register_module(n, std::move(m)); }
    Tensor forward(const Tensor& x) override {
      Tensor y = x;
      for (auto& [n, m] : children()) y = m->forward(y);
      return y;
    }
  };
  Tensor pos_embedding;
  std::shared_ptr<Sequence> layers;
  std::shared_ptr<LayerNorm> ln;
};
}  // namespace

ViT::ViT(const ViTConfig& c, Generator& gen, DType dt) : cfg(c) {
  if (c.patch_size < 1 || c.image_size % c.patch_size != 0)
    throw std::invalid_argument(fmt::format("ViT: image size {} is not a multiple of patch {}",
                                            c.image_size, c.patch_size));
  Conv2dOptions o;
  o.stride_h = o.stride_w = c.patch_size;
  conv_proj = register_module(
      "conv_proj",
      std::make_shared<Conv2d>(c.channels, c.hidden_dim, c.patch_size, gen, o, true, dt));
  class_token = register_parameter("class_token", Tensor::zeros({1, 1, c.hidden_dim}, dt));
  const int64_t side = c.image_size / c.patch_size;
  encoder = register_module("encoder", std::make_shared<ViTEncoder>(c, side * side + 1, gen, dt));
}

Tensor ViT::tokens(const Tensor& x) {
  if (x.dim() != 4 || x.size(1) != cfg.channels || x.size(2) != cfg.image_size ||
      x.size(3) != cfg.image_size)
    throw std::invalid_argument(fmt::format("ViT: expected (N,{},{},{}), got {}", cfg.channels,
                                            cfg.image_size, cfg.image_size, x.shape_str()));
  const int64_t n = x.size(0);
  Tensor p = conv_proj->forward(x).flatten(2).transpose(1, 2);  // (N, patches, hidden)
  Tensor cls = class_token.expand({n, 1, cfg.hidden_dim});
  return encoder->forward(concat({cls, p}, 1));
}

Tensor ViT::forward(const Tensor& x) { return tokens(x).select(1, 0); }

}  // namespace he::nn
