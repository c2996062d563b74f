#pragma once
// Backbones of the CNN zoo models: the protocol's small CNN and torchvision's AlexNet, VGG-16
// and ResNet-18/50 (zoo/nets/), under torchvision's state_dict names so that a user's
// torchvision weights, saved with safetensors, load with no renaming (load_pretrained).
//
// small_cnn is the 28x28x1 network of protocol.md ('small CNN' recipe):
// conv(1->32, 5x5, pad 2) - BN - ReLU - maxpool 2 -> conv(32->64, 5x5, pad 2) - BN - ReLU -
// maxpool 2 -> flatten (3136) -> fc 512 - ReLU - dropout 0.5 -> fc `out` (raw output u).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "layers/layers.h"

namespace he::zoo {

// A network whose last layer, `head` (a Linear), maps the penultimate features to the output:
// the ImageNet classifier in torchvision, the hash layer (`bits` wide) in the zoo. Built with
// out = 0 it has no head (a feature extractor: LSH / ITQ on backbone features).
class Backbone : public nn::Module {
 public:
  Tensor forward(const Tensor& x) override;  // x:(N,C,H,W) -> (N,out)
  // x:(N,C,H,W) -> (N,feature_dim()): the input of the head.
  virtual Tensor features_of(const Tensor& x) = 0;
  // features_of(x) as a frozen feature extractor: eval mode (BN on its running statistics,
  // no dropout), no gradient, `batch` images at a time so the activations stay small.
  Tensor frozen_features(const Tensor& x, int64_t batch = 500);
  virtual int64_t feature_dim() const = 0;
  // x:(N,C,H,W) -> (N,map_channels(),h,w): the last convolutional map, before the network's
  // own pooling, for the global pooling layers (layers/global_pool.h). A network without
  // convolutions (the mlp) gives its hidden layer as a 1x1 map.
  virtual Tensor feature_map(const Tensor& x) = 0;
  virtual int64_t map_channels() const = 0;
  // The head's state_dict prefix ("fc.", "classifier.6.", "head."), whether or not it exists.
  virtual std::string head_prefix() const = 0;
  std::shared_ptr<nn::Linear> head;  // null when headless
};

class SmallCNN : public Backbone {
 public:
  // out: the width of the last layer (the hash layer's bits, or classes for a classifier).
  SmallCNN(int64_t out, Generator& init, std::shared_ptr<Generator> dropout_gen,
           int64_t in_channels = 1, int64_t image_size = 28);
  Tensor features_of(const Tensor& x) override;  // (N,512), the input of the last layer
  int64_t feature_dim() const override { return 512; }
  Tensor feature_map(const Tensor& x) override { return features->forward(x); }  // (N,64,H/4,W/4)
  int64_t map_channels() const override { return 64; }
  std::string head_prefix() const override { return "head."; }
  std::string name() const override { return "SmallCNN"; }
  std::shared_ptr<nn::Sequential> features, fc;
};

// One hidden layer on the flattened pixels: fc(input dim -> 1024) - ReLU -> fc `out`.
class MlpBackbone : public Backbone {
 public:
  static constexpr int64_t kWidth = 1024;
  MlpBackbone(int64_t out, Generator& init, int64_t input_dim);
  Tensor features_of(const Tensor& x) override;  // (N,1024)
  int64_t feature_dim() const override { return kWidth; }
  Tensor feature_map(const Tensor& x) override;  // (N,1024,1,1)
  int64_t map_channels() const override { return kWidth; }
  std::string head_prefix() const override { return "head."; }
  std::string name() const override { return "MlpBackbone"; }
  std::shared_ptr<nn::Sequential> fc;
};

// How a torchvision backbone sees the zoo's images. The zoo feeds protocol-normalised pixels
// ((p/255 - 0.2860) / 0.3530, 1 channel, 28x28 for Fashion-MNIST); torchvision's weights
// expect 3 channels normalised with ImageNet's mean and std, and AlexNet needs at least
// 63x63. The adapter resizes bilinearly to out_size x out_size (align_corners = false, no
// antialiasing: F.interpolate's default), repeats a single channel to three and
// re-normalises with ImageNet's statistics. Default-constructed it is the identity (inputs
// already as torchvision expects them). No parameters: it adds nothing to the state_dict.
struct InputAdapter {
  int64_t in_channels = 3, in_size = 0, out_size = 0;
  bool from_protocol = false;  // re-normalise protocol input to ImageNet's statistics
  // The input's per-channel (or one for all) normalisation when it is not protocol FM's.
  std::vector<float> in_mean, in_std;
  Tensor apply(const Tensor& x) const;
  bool identity() const { return !from_protocol && in_size == out_size; }
};

// The (out, in) matrix R of 1-D bilinear resizing (align_corners = false): y = R x.
Tensor bilinear_matrix(int64_t in, int64_t out);

// --backbone names: small, mlp, vit (zoo/nets/vit_backbone.h), alexnet, vgg16, vgg16_bn,
// resnet18, resnet50.
const std::vector<std::string>& backbone_names();
// The torchvision backbones' default input side when the data is smaller (AlexNet's minimum
// is 63; one size for all keeps runs comparable across backbones).
constexpr int64_t kDefaultInputSize = 64;

struct BackboneSpec {
  std::string name = "small";
  int64_t out = 0;                           // head width; 0: headless
  int64_t in_channels = 1, image_size = 28;  // of the data
  int64_t input_size = 0;  // side the torchvision nets see; 0: the data's, at least 64
  std::vector<float> data_mean, data_std;  // the data's normalisation (empty: protocol FM's)
};
// Throws std::invalid_argument for an unknown name or an input size below the net's minimum.
std::shared_ptr<Backbone> make_backbone(const BackboneSpec& spec, Generator& init,
                                        std::shared_ptr<Generator> dropout_gen);

// What load_pretrained did besides loading: keys it left alone, with why.
struct PretrainedReport {
  int64_t loaded = 0;
  std::vector<std::string> head_skipped;  // head keys absent here or of another width
  std::vector<std::string> unexpected;    // in the file, not in the model (ignored)
  std::vector<std::string> defaulted;     // num_batches_tracked absent from the file (kept)
  std::string str() const;
};
// Loads torchvision-named weights into `net`. Every non-head key of the net must be in
// `weights` with the same shape (else std::runtime_error naming `source`, each missing key
// and each key with both shapes); head keys load only when their shapes match (an ImageNet
// classifier of 1000 classes does not fit a hash head); BatchNorm's num_batches_tracked may
// be absent, as in old torchvision files. Values convert to the net's dtype.
PretrainedReport load_pretrained(Backbone& net, const std::map<std::string, Tensor>& weights,
                                 const std::string& source);
// The same from a safetensors file.
PretrainedReport load_pretrained(Backbone& net, const std::string& path);

}  // namespace he::zoo
