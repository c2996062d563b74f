#pragma once
// Multi-head self-attention, the pre-norm transformer encoder block and a small vision
// transformer backbone, with PyTorch's (nn.MultiheadAttention) and torchvision's
// (torchvision.models.vision_transformer) state_dict names, so weights move both ways.
#include <memory>

#include "layers/basic.h"
#include "layers/linear_conv.h"
#include "layers/norm.h"

namespace he::nn {

// GELU, tanh form: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (PyTorch's
// GELU(approximate='tanh')); within 1e-3 of the erf form torchvision's ViT uses.
Tensor gelu_tanh(const Tensor& x);

struct AttentionOut {
  Tensor output;   // (L,N,E), or (N,L,E) batch-first
  Tensor weights;  // (N,L,S), averaged over heads as PyTorch's need_weights=True returns
};

// Multi-head attention (Vaswani et al., 'Attention Is All You Need', NeurIPS 2017):
// per head h, softmax(q_h k_h^T / sqrt(E/heads)) v_h, heads concatenated, then out_proj.
// in_proj_weight:(3E,E) stacks the q, k, v projections, in_proj_bias:(3E); out_proj.weight:(E,E),
// out_proj.bias:(E). Inputs (L,N,E) / (S,N,E), or (N,L,E) with batch_first. No attention dropout
// and no masks.
class MultiheadAttention : public Module {
 public:
  MultiheadAttention(int64_t embed_dim, int64_t num_heads, Generator& gen, bool batch_first = false,
                     DType dt = DType::f32);
  Tensor forward(const Tensor& x) override;  // self-attention: attend(x, x, x).output
  AttentionOut attend(const Tensor& query, const Tensor& key, const Tensor& value);
  std::string name() const override { return "MultiheadAttention"; }
  Tensor in_proj_weight, in_proj_bias;
  std::shared_ptr<Linear> out_proj;
  int64_t embed_dim, num_heads;
  bool batch_first;
};

// torchvision's EncoderBlock (pre-norm): x + attn(ln_1(x)), then + mlp(ln_2(.)), the MLP being
// Linear(E, mlp_dim), GELU, Linear(mlp_dim, E) (names mlp.0, mlp.3). Batch-first (N,L,E).
// Dropout is left out (torchvision's ViT defaults it to 0).
class TransformerEncoderBlock : public Module {
 public:
  TransformerEncoderBlock(int64_t dim, int64_t heads, int64_t mlp_dim, Generator& gen,
                          DType dt = DType::f32);
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "TransformerEncoderBlock"; }
  std::shared_ptr<LayerNorm> ln_1, ln_2;
  std::shared_ptr<MultiheadAttention> self_attention;
  std::shared_ptr<Linear> fc1, fc2;
};

struct ViTConfig {
  int64_t image_size = 28, patch_size = 7, channels = 1;
  int64_t hidden_dim = 64, num_layers = 4, num_heads = 4, mlp_dim = 128;
};

// A small ViT (Dosovitskiy et al., 'An Image Is Worth 16x16 Words', ICLR 2021) backbone:
// patches by conv_proj (kernel = stride = patch), a class token, learned position embeddings,
// the encoder blocks and a final LayerNorm; returns the class token's feature (N, hidden_dim).
// Names as torchvision's VisionTransformer without its heads: conv_proj.*, class_token,
// encoder.pos_embedding, encoder.layers.encoder_layer_<i>.*, encoder.ln.*.
class ViT : public Module {
 public:
  ViT(const ViTConfig& cfg, Generator& gen, DType dt = DType::f32);
  Tensor forward(const Tensor& x) override;  // x:(N,channels,image,image) -> (N,hidden_dim)
  Tensor tokens(const Tensor& x);            // the encoder's output (N, 1 + patches, hidden_dim)
  std::string name() const override { return "ViT"; }
  ViTConfig cfg;
  std::shared_ptr<Conv2d> conv_proj;
  Tensor class_token;
  std::shared_ptr<Module> encoder;
};

}  // namespace he::nn
