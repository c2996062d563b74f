// The torchvision backbones (zoo/nets/): state_dict names, shapes, dtypes and order equal
// torchvision's (fixture written from torchvision by tests/zoo/torchvision_backbones.py); the
// eval-mode forward equals torchvision's on the same weights; shapes of the hash-head and
// headless forms on Fashion-MNIST-sized input; safetensors round trip; pretrained loading and
// its errors; the input adapter against F.interpolate.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "engine/io/safetensors.h"
#include "torch_parity.h"
#include "zoo/nets/torchvision_nets.h"

namespace he::zoo {
namespace {

const std::string kFixtures = std::string(HE_TEST_SOURCE_DIR) + "/zoo/fixtures/";

const nlohmann::json& fixture() {
  static const nlohmann::json j =
      nlohmann::json::parse(std::ifstream(kFixtures + "torchvision_backbones.json"));
  return j;
}
const SafetensorsFile& outputs() {
  static const SafetensorsFile f =
      load_safetensors(kFixtures + "torchvision_backbones.safetensors");
  return f;
}

// The torchvision model `name` with `out` classes, inputs as torchvision expects them.
std::shared_ptr<Backbone> torchvision_net(const std::string& name, int64_t out, uint64_t seed = 0) {
  Generator init(seed);
  auto drop = std::make_shared<Generator>(seed + 1);
  if (name == "alexnet") return std::make_shared<AlexNet>(out, init, drop);
  if (name == "vgg16" || name == "vgg16_bn")
    return std::make_shared<Vgg16>(out, init, drop, name == "vgg16_bn");
  return std::make_shared<ResNet>(name == "resnet18" ? 18 : 50, out, init);
}

const char* torch_dtype_name(DType dt) {
  switch (dt) {
    case DType::f32:
      return "float32";
    case DType::i64:
      return "int64";
    default:
      return "other";
  }
}

// One construction per model (VGG-16 has 138M parameters): torchvision's state_dict, then
// torchvision's forward on the same weights, then Fashion-MNIST-shaped input via the adapter.
class TorchvisionNet : public ::testing::TestWithParam<std::string> {};

TEST_P(TorchvisionNet, MatchesTorchvisionAndTakesFashionMnist) {
  const auto& m = fixture()["models"][GetParam()];
  auto net = torchvision_net(GetParam(), 1000);
  nn::NamedTensors sd = net->state_dict();
  const auto& rows = m["state_dict"];
  ASSERT_EQ(sd.size(), rows.size());
  std::map<std::string, Shape> shapes;
  for (size_t i = 0; i < sd.size(); ++i) {
    EXPECT_EQ(sd[i].first, rows[i][0].get<std::string>()) << "entry " << i;
    EXPECT_EQ(sd[i].second.shape(), rows[i][1].get<Shape>()) << sd[i].first;
    EXPECT_EQ(torch_dtype_name(sd[i].second.dtype()), rows[i][2].get<std::string>()) << sd[i].first;
    shapes[sd[i].first] = sd[i].second.shape();
  }
  if (HasFailure()) return;

  std::map<std::string, Tensor> state;
  for (const auto& f : m["fill"])
    state[f[0]] = testing::hashed_uniform(shapes.at(f[0]), f[1], f[2], f[3]);
  PretrainedReport r = load_pretrained(*net, state, "fixture");
  EXPECT_EQ(r.loaded, static_cast<int64_t>(state.size()));
  state.clear();
  net->eval();
  Tensor x = testing::hashed_uniform(m["input_shape"].get<Shape>(), -1, 1,
                                     fixture()["input_salt"].get<uint32_t>());
  Tensor want = outputs().tensors.at(GetParam() + ".output");
  // f32 through up to 50 layers against torchvision's f64: relative to the output's scale.
  const double scale = amax(abs(want)).item<double>();
  double err = 0;
  EXPECT_TRUE(testing::parity_close(net->forward(x), want, {1e-4 * scale, 1e-4}, &err));
  std::printf("[ parity   ] %s max abs err %.3g (|y| max %.3g)\n", GetParam().c_str(), err, scale);

  // Fashion-MNIST: 1 channel, 28x28, resized to the smallest side each net takes.
  InputAdapter a;
  a.in_channels = 1, a.in_size = 28, a.from_protocol = true;
  a.out_size = GetParam() == "alexnet" ? 63 : 32;
  if (auto* c = dynamic_cast<ConvClassifierNet*>(net.get())) c->adapter = a;
  if (auto* c = dynamic_cast<ResNet*>(net.get())) c->adapter = a;
  Tensor fm = Tensor::randn({2, 1, 28, 28}, *std::make_unique<Generator>(1));
  EXPECT_EQ(net->forward(fm).shape(), (Shape{2, 1000}));
  Tensor f = net->features_of(fm);
  EXPECT_EQ(f.shape(), (Shape{2, net->feature_dim()}));
  EXPECT_EQ(net->feature_dim(), GetParam() == "resnet50"   ? 2048
                                : GetParam() == "resnet18" ? 512
                                                           : 4096);
  EXPECT_TRUE(std::isfinite(sum(f).item<double>()));
}

// The zoo's form: a `bits`-wide hash head under torchvision's classifier name.
TEST(Backbones, HashHeadTakesTheClassifiersPlace) {
  Generator init(0);
  for (const std::string name : {"alexnet", "resnet18"}) {
    BackboneSpec spec;
    spec.name = name, spec.out = 16;  // 1-channel 28x28 in, resized to the default 64
    auto net = make_backbone(spec, init, std::make_shared<Generator>(1));
    net->eval();
    EXPECT_EQ(net->forward(Tensor::randn({2, 1, 28, 28}, init)).shape(), (Shape{2, 16}));
    const std::string head = net->head_prefix() + "weight";
    Shape shape;
    for (const auto& [k, t] : net->state_dict())
      if (k == head) shape = t.shape();
    EXPECT_EQ(shape, (Shape{16, net->feature_dim()})) << head;
  }
}

INSTANTIATE_TEST_SUITE_P(All, TorchvisionNet,
                         ::testing::Values("alexnet", "vgg16", "vgg16_bn", "resnet18", "resnet50"),
                         [](const auto& info) { return info.param; });

TEST(Backbones, HeadlessHasNoHeadKeys) {
  BackboneSpec spec;
  spec.name = "resnet18", spec.out = 0, spec.input_size = 32;
  Generator init(0);
  auto net = make_backbone(spec, init, std::make_shared<Generator>(1));
  for (const auto& [k, t] : net->state_dict()) EXPECT_NE(k.rfind("fc.", 0), 0u) << k;
  EXPECT_EQ(net->features_of(Tensor::randn({3, 1, 28, 28}, init)).shape(), (Shape{3, 512}));
  EXPECT_THROW(net->forward(Tensor::randn({1, 1, 28, 28}, init)), std::logic_error);
}

TEST(Backbones, InputSizeBelowTheMinimumIsAClearError) {
  BackboneSpec spec;
  spec.name = "alexnet", spec.out = 8, spec.input_size = 32;
  Generator init(0);
  try {
    make_backbone(spec, init, nullptr);
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--input-size >= 63"), std::string::npos) << e.what();
  }
  spec.name = "nope";
  EXPECT_THROW(make_backbone(spec, init, nullptr), std::invalid_argument);
}

TEST(Backbones, BilinearResizeEqualsInterpolate) {
  Tensor x = testing::hashed_uniform({1, 1, 28, 28}, -1, 1, 7);
  for (int64_t side : {64, 20}) {
    InputAdapter a;
    a.in_channels = 1, a.in_size = 28, a.out_size = side;  // resize only
    const std::string key = "resize." + std::to_string(side) + "x" + std::to_string(side);
    double err = 0;
    EXPECT_TRUE(testing::parity_close(a.apply(x), outputs().tensors.at(key), {1e-5, 1e-5}, &err))
        << key;
  }
}

TEST(Backbones, AdapterRepeatsTheChannelAndRenormalisesToImageNet) {
  InputAdapter a;
  a.in_channels = 1, a.in_size = 28, a.out_size = 28, a.from_protocol = true;
  // A protocol-normalised pixel p: (p - 0.2860) / 0.3530 -> (p - mean_c) / std_c.
  const double p = 0.75;
  Tensor x = Tensor::full({1, 1, 28, 28}, (p - 0.2860) / 0.3530);
  Tensor y = a.apply(x);
  ASSERT_EQ(y.shape(), (Shape{1, 3, 28, 28}));
  const double mean[3] = {0.485, 0.456, 0.406}, stdv[3] = {0.229, 0.224, 0.225};
  for (int c = 0; c < 3; ++c)
    EXPECT_NEAR(y.narrow(1, c, 1).contiguous().to_vector<float>()[100], (p - mean[c]) / stdv[c],
                1e-5);
}

// A zoo resnet18 hash model's weights, saved like a user's torchvision file, load into a
// fresh net with identical outputs.
TEST(Backbones, SafetensorsRoundTripGivesIdenticalOutputs) {
  BackboneSpec spec;
  spec.name = "resnet18", spec.out = 16, spec.input_size = 32;
  Generator init(3);
  auto a = make_backbone(spec, init, nullptr);
  Generator init2(4);
  auto b = make_backbone(spec, init2, nullptr);
  // Move a's BN statistics off their defaults so the buffers are checked too.
  a->train();
  Tensor x = Tensor::randn({4, 1, 28, 28}, init);
  (void)a->forward(x);
  const std::string path =
      (std::filesystem::temp_directory_path() / "he_backbone_roundtrip.safetensors").string();
  save_safetensors(path, a->state_dict());
  PretrainedReport r = load_pretrained(*b, path);
  EXPECT_EQ(r.loaded, static_cast<int64_t>(a->state_dict().size()));
  EXPECT_TRUE(r.head_skipped.empty() && r.unexpected.empty()) << r.str();
  a->eval(), b->eval();
  EXPECT_EQ(a->forward(x).to_vector<float>(), b->forward(x).to_vector<float>());
  std::filesystem::remove(path);
}

// torchvision's ImageNet weights: the 1000-class fc does not fit a 16-bit hash head and is
// left out; the rest loads; old files without num_batches_tracked load too.
TEST(Backbones, PretrainedSkipsTheImageNetClassifier) {
  auto imagenet = torchvision_net("resnet18", 1000, 5);
  std::map<std::string, Tensor> file;
  for (auto& [k, t] : imagenet->state_dict())
    if (!k.ends_with("num_batches_tracked")) file[k] = t;
  file["extra.thing"] = Tensor::zeros({2});
  BackboneSpec spec;
  spec.name = "resnet18", spec.out = 16, spec.input_size = 32;
  Generator init(0);
  auto net = make_backbone(spec, init, nullptr);
  PretrainedReport r = load_pretrained(*net, file, "imagenet.safetensors");
  EXPECT_EQ(r.head_skipped, (std::vector<std::string>{"fc.weight", "fc.bias"}));
  EXPECT_EQ(r.unexpected, (std::vector<std::string>{"extra.thing"}));
  EXPECT_EQ(r.defaulted.size(), 20u);  // ResNet-18's BatchNorms
  EXPECT_EQ(r.loaded, static_cast<int64_t>(file.size()) - 3);
  net->eval(), imagenet->eval();
  Tensor x = Tensor::randn({2, 3, 32, 32}, init);
  // Same trunk: the features agree (the zoo net's adapter is bypassed by calling the trunk's
  // input directly through a 3-channel torchvision net of the same weights).
  auto same = torchvision_net("resnet18", 16, 9);
  load_pretrained(*same, file, "imagenet.safetensors");
  same->eval();
  EXPECT_EQ(same->features_of(x).to_vector<float>(), imagenet->features_of(x).to_vector<float>());
}

TEST(Backbones, WrongShapeNamesTheKeyAndBothShapes) {
  auto net = torchvision_net("resnet18", 16);
  std::map<std::string, Tensor> file;
  for (auto& [k, t] : net->state_dict()) file[k] = t;
  file["layer2.0.conv1.weight"] = Tensor::zeros({128, 64, 1, 1});
  file.erase("layer4.1.bn2.running_var");
  try {
    load_pretrained(*net, file, "mine.safetensors");
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("mine.safetensors"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'layer2.0.conv1.weight' is [128, 64, 1, 1] in the file but "
                       "[128, 64, 3, 3] in ResNet18"),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find("missing keys: layer4.1.bn2.running_var"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace he::zoo
