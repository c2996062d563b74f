#include "zoo/backbones.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

#include "engine/data/datasets.h"
#include "engine/io/safetensors.h"
#include "zoo/nets/torchvision_nets.h"
#include "zoo/nets/vit_backbone.h"

namespace he::zoo {

Tensor Backbone::forward(const Tensor& x) {
  if (!head)
    throw std::logic_error(name() + ": built without a head (features_of only); forward needs one");
  return head->forward(features_of(x));
}

Tensor Backbone::frozen_features(const Tensor& x, int64_t batch) {
  NoGradGuard guard;
  eval();
  std::vector<Tensor> parts;
  const int64_t n = x.size(0);
  for (int64_t at = 0; at < n; at += batch)
    parts.push_back(features_of(x.narrow(0, at, std::min(batch, n - at))));
  return parts.size() == 1 ? parts[0] : concat(parts, 0);
}

SmallCNN::SmallCNN(int64_t out, Generator& init, std::shared_ptr<Generator> dropout_gen,
                   int64_t in_channels, int64_t image_size) {
  using namespace nn;
  // ReLU after the max pooling, not before as in the protocol's (and PyTorch's) listing: the
  // two commute (both monotone; an all-negative window gives 0 either way, with a zero
  // gradient), so outputs and gradients are the same, and ReLU then runs on a quarter of
  // the values. tests/zoo/test_torch_parity_zoo.cpp checks this against PyTorch's order.
  features = register_module(
      "features", std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
                      std::make_shared<Conv2d>(in_channels, 32, 5, init, same_padding(5)),
                      std::make_shared<BatchNorm>(32), std::make_shared<MaxPool2d>(2), ReLU(),
                      std::make_shared<Conv2d>(32, 64, 5, init, same_padding(5)),
                      std::make_shared<BatchNorm>(64), std::make_shared<MaxPool2d>(2), ReLU()}));
  const int64_t side = image_size / 4;
  fc = register_module("fc", std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>{
                                 std::make_shared<Linear>(64 * side * side, 512, init), ReLU(),
                                 std::make_shared<Dropout>(0.5, std::move(dropout_gen))}));
  if (out > 0) head = register_module("head", std::make_shared<Linear>(512, out, init));
}

Tensor SmallCNN::features_of(const Tensor& x) { return fc->forward(feature_map(x).flatten(1)); }

MlpBackbone::MlpBackbone(int64_t out, Generator& init, int64_t input_dim) {
  fc = register_module("fc",
                       std::make_shared<nn::Sequential>(std::vector<std::shared_ptr<nn::Module>>{
                           std::make_shared<nn::Linear>(input_dim, kWidth, init), nn::ReLU()}));
  if (out > 0) head = register_module("head", std::make_shared<nn::Linear>(kWidth, out, init));
}

Tensor MlpBackbone::features_of(const Tensor& x) { return fc->forward(x.flatten(1)); }

Tensor MlpBackbone::feature_map(const Tensor& x) {
  return features_of(x).reshape({x.size(0), kWidth, 1, 1});
}

Tensor bilinear_matrix(int64_t in, int64_t out) {
  std::vector<float> r(static_cast<size_t>(out * in), 0.0f);
  const double scale = static_cast<double>(in) / static_cast<double>(out);
  for (int64_t i = 0; i < out; ++i) {
    const double src = std::max(0.0, (static_cast<double>(i) + 0.5) * scale - 0.5);
    const int64_t i0 = std::min(static_cast<int64_t>(src), in - 1);
    const int64_t i1 = std::min(i0 + 1, in - 1);
    const double w1 = src - static_cast<double>(i0);
    r[i * in + i0] += static_cast<float>(1.0 - w1);
    r[i * in + i1] += static_cast<float>(w1);
  }
  return Tensor::from_vector(r, {out, in});
}

Tensor InputAdapter::apply(const Tensor& x) const {
  if (identity()) return x;
  if (x.dim() != 4 || x.size(1) != in_channels || x.size(2) != in_size || x.size(3) != in_size)
    throw std::invalid_argument(fmt::format("InputAdapter: input {} is not (N,{},{},{})",
                                            x.shape_str(), in_channels, in_size, in_size));
  Tensor h = x;
  if (in_size != out_size) {
    Tensor r = bilinear_matrix(in_size, out_size).to(x.device()).to(x.dtype());
    h = matmul(matmul(r, h), r.t());  // (S,s) @ (N,C,s,s) @ (s,S) -> (N,C,S,S)
  }
  if (!from_protocol) return h;
  // p = x * std_in + mean_in (protocol FM's or the data's), then (p - mean_c) / std_c for
  // ImageNet's c = R, G, B: one per-channel affine map, broadcast from 1 channel to 3.
  const double mean[3] = {0.485, 0.456, 0.406}, stdv[3] = {0.229, 0.224, 0.225};
  std::vector<float> scale(3), shift(3);
  for (int c = 0; c < 3; ++c) {  // in_mean / in_std: one value, or one per input channel
    const size_t k = in_mean.size() == 3 ? static_cast<size_t>(c) : 0;
    const double m = in_mean.empty() ? data::kFashionMnistMean : in_mean[k];
    const double sd = in_std.empty() ? data::kFashionMnistStd : in_std[k];
    scale[c] = static_cast<float>(sd / stdv[c]);
    shift[c] = static_cast<float>((m - mean[c]) / stdv[c]);
  }
  auto channel = [&](const std::vector<float>& v) {
    return Tensor::from_vector(v, {1, 3, 1, 1}).to(x.device()).to(x.dtype());
  };
  return add(mul(h, channel(scale)), channel(shift));
}

const std::vector<std::string>& backbone_names() {
  static const std::vector<std::string> names{"small", "mlp",      "vit",      "alexnet",
                                              "vgg16", "vgg16_bn", "resnet18", "resnet50"};
  return names;
}

std::shared_ptr<Backbone> make_backbone(const BackboneSpec& s, Generator& init,
                                        std::shared_ptr<Generator> dropout_gen) {
  if (s.name == "small" || s.name == "mlp" || s.name == "vit") {  // the zoo's own: no resizing
    if (s.input_size != 0 && s.input_size != s.image_size)
      throw std::invalid_argument(fmt::format(
          "--input-size {}: --backbone {} takes the data as it is ({}x{}); --input-size is for "
          "the torchvision backbones",
          s.input_size, s.name, s.image_size, s.image_size));
    if (s.name == "mlp")
      return std::make_shared<MlpBackbone>(s.out, init,
                                           s.in_channels * s.image_size * s.image_size);
    if (s.name == "vit")
      return std::make_shared<VitBackbone>(VitBackbone::config_for(s.in_channels, s.image_size),
                                           s.out, init);
    return std::make_shared<SmallCNN>(s.out, init, dropout_gen, s.in_channels, s.image_size);
  }
  if (std::find(backbone_names().begin(), backbone_names().end(), s.name) == backbone_names().end())
    throw std::invalid_argument(
        fmt::format("unknown backbone '{}'; known: {}", s.name, fmt::join(backbone_names(), ", ")));
  if (s.in_channels != 1 && s.in_channels != 3)
    throw std::invalid_argument(
        fmt::format("--backbone {}: data of {} channels (1 or 3 needed)", s.name, s.in_channels));
  InputAdapter a;
  a.in_channels = s.in_channels, a.in_size = s.image_size, a.from_protocol = true;
  a.in_mean = s.data_mean, a.in_std = s.data_std;
  a.out_size = s.input_size > 0 ? s.input_size : std::max(s.image_size, kDefaultInputSize);
  // Smallest sides with a non-empty feature map: AlexNet's three 3/2 max pools after its
  // 11/4 conv need 63; VGG's five 2x2 pools 32; ResNet's padded strides any.
  const int64_t min_side = s.name == "alexnet" ? 63 : s.name.rfind("vgg", 0) == 0 ? 32 : 1;
  if (a.out_size < min_side)
    throw std::invalid_argument(fmt::format("--backbone {} needs --input-size >= {} (got {})",
                                            s.name, min_side, a.out_size));
  if (s.name == "alexnet") return std::make_shared<AlexNet>(s.out, init, dropout_gen, a);
  if (s.name == "vgg16" || s.name == "vgg16_bn")
    return std::make_shared<Vgg16>(s.out, init, dropout_gen, s.name == "vgg16_bn", a);
  return std::make_shared<ResNet>(s.name == "resnet18" ? 18 : 50, s.out, init, a);
}

namespace {
// The first few names of a long list, and how many more.
std::string listing(const std::vector<std::string>& v, const char* sep = ", ") {
  const size_t shown = std::min<size_t>(v.size(), 8);
  std::string s = fmt::format("{}", fmt::join(v.begin(), v.begin() + shown, sep));
  if (v.size() > shown) s += fmt::format("{}... ({} in all)", sep, v.size());
  return s;
}
}  // namespace

std::string PretrainedReport::str() const {
  std::string s = fmt::format("{} tensors loaded", loaded);
  if (!head_skipped.empty())
    s += "; the head is not taken from the file (absent here or of another width): " +
         listing(head_skipped);
  if (!defaulted.empty())
    s += fmt::format("; {} num_batches_tracked absent from the file (kept)", defaulted.size());
  if (!unexpected.empty()) s += "; ignored, not in the model: " + listing(unexpected);
  return s;
}

PretrainedReport load_pretrained(Backbone& net, const std::map<std::string, Tensor>& weights,
                                 const std::string& source) {
  const std::string head = net.head_prefix();
  auto is_head = [&](const std::string& k) { return k.rfind(head, 0) == 0; };
  PretrainedReport r;
  std::vector<std::string> missing, mismatched;
  std::map<std::string, Tensor> load;
  std::set<std::string> mine;
  for (const auto& [name, t] : net.state_dict()) {
    mine.insert(name);
    auto it = weights.find(name);
    if (it == weights.end()) {
      if (is_head(name))
        r.head_skipped.push_back(name);
      else if (name.ends_with(".num_batches_tracked"))
        r.defaulted.push_back(name);
      else
        missing.push_back(name);
    } else if (it->second.shape() != t.shape()) {
      if (is_head(name))
        r.head_skipped.push_back(name);
      else
        mismatched.push_back(fmt::format("'{}' is {} in the file but {} in {}", name,
                                         it->second.shape_str(), t.shape_str(), net.name()));
    } else {
      load[name] = it->second;
    }
  }
  for (const auto& [name, t] : weights)
    if (!mine.count(name)) (is_head(name) ? r.head_skipped : r.unexpected).push_back(name);
  if (!missing.empty() || !mismatched.empty()) {
    std::string why;
    if (!mismatched.empty()) why += "shape mismatch: " + listing(mismatched, "; ");
    if (!missing.empty()) why += (why.empty() ? "" : "; ") + ("missing keys: " + listing(missing));
    if (!r.unexpected.empty()) why += "; unexpected keys: " + listing(r.unexpected);
    if (load.empty())
      why += "; no key in common: another architecture, or a zoo checkpoint (keys 'net.*')?";
    throw std::runtime_error(
        fmt::format("{}: the weights do not fit {} ({})", source, net.name(), why));
  }
  net.load_state_dict(load, /*strict=*/false);
  r.loaded = static_cast<int64_t>(load.size());
  return r;
}

PretrainedReport load_pretrained(Backbone& net, const std::string& path) {
  return load_pretrained(net, load_safetensors(path).tensors, path);
}

}  // namespace he::zoo
