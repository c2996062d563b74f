// --backbone, --pretrained and --features in the zoo's runs: the backbone is kept in the
// checkpoint's options (and only when set, so default runs read as before); a resnet18
// HashNet trains on FM-quick batches (finite, falling loss); LSH / ITQ fit on a backbone's
// features, from torchvision-named weights or from a CNN run's checkpoint, and eval rebuilds
// the model from the checkpoint.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "engine/data/datasets.h"
#include "engine/io/safetensors.h"
#include "zoo/backbones.h"
#include "zoo/checkpoint.h"
#include "zoo/encode.h"
#include "zoo/nets/torchvision_nets.h"
#include "zoo/weights.h"
#include "zoo_test_util.h"

namespace he::zoo {
namespace {

using test::have_fashion_mnist;

using test::temp_path;

TEST(BackboneOptions, StoredInTheCheckpointOptionsOnlyWhenSet) {
  TrainOptions o;
  EXPECT_FALSE(nlohmann::json::parse(options_json(o)).contains("backbone"));
  TrainOptions back = options_from_json(options_json(o));
  EXPECT_EQ(back.backbone, "");
  EXPECT_EQ(back.input_size, 0);
  o.backbone = "resnet18", o.input_size = 32, o.pretrained = "r18.safetensors";
  back = options_from_json(options_json(o));
  EXPECT_EQ(back.backbone, "resnet18");
  EXPECT_EQ(back.input_size, 32);
  EXPECT_EQ(back.pretrained, "r18.safetensors");
}

// A checkpoint whose options name no backbone holds the small CNN, also for the models whose
// default network is now the mlp (their checkpoints from before it was): eval, --resume and
// --features rebuild the network the checkpoint holds.
TEST(BackboneOptions, NoneNamedMeansTheSmallCnn) {
  TrainOptions o;
  o.model = "pseudo";
  EXPECT_EQ(options_from_json(options_json(o)).backbone, "small");
  o.backbone = "mlp";
  EXPECT_EQ(options_from_json(options_json(o)).backbone, "mlp");
  o.model = "hashnet", o.backbone = "";
  EXPECT_EQ(options_from_json(options_json(o)).backbone, "");
  o.model = "itq";  // pixels
  EXPECT_EQ(options_from_json(options_json(o)).backbone, "");
}

// FM-quick smoke: HashNet on ResNet-18 at 32x32 (resized from 28), two fixed batches of 16
// alternated; the loss stays finite and falls.
TEST(BackboneRuns, Resnet18HashNetLossFalls) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  set_num_threads(2);
  const data::ImageSet train =
      data::take_first(data::load_split("fashion-mnist", data::Split::kTrain), 32);
  ModelConfig cfg;
  cfg.bits = 16, cfg.train_size = train.n;
  cfg.backbone = "resnet18", cfg.input_size = 32;
  auto model = make_model("hashnet", cfg);
  ASSERT_NE(model->backbone(), nullptr);
  EXPECT_EQ(model->backbone()->name(), "ResNet18");
  auto opt = model->make_optimizer(cfg);
  std::vector<TrainBatch> batches;
  for (int i = 0; i < 2; ++i) batches.push_back(test::batch_of(train, i * 16, 16));
  model->train();
  double first = 0, last = 0;
  const int iters = 10;
  for (int it = 0; it < iters; ++it) {
    Tensor loss = model->loss(batches[it % 2], it);
    const double v = loss.item<double>();
    ASSERT_TRUE(std::isfinite(v)) << "iteration " << it;
    if (it < 2) first += v;
    if (it >= iters - 2) last += v;
    opt->zero_grad();
    loss.backward();
    opt->step();
  }
  EXPECT_LT(last, first) << "loss " << first / 2 << " -> " << last / 2;
}

// LSH on the features of torchvision-named ResNet-18 weights: the weights load into the
// headless backbone (the file's 1000-class fc is left out) and the codes are bits wide.
TEST(BackboneRuns, LshOnPretrainedFeatures) {
  Generator g(11);
  ResNet imagenet(18, 1000, g);
  const std::string path = temp_path("he_lsh_r18.safetensors");
  save_safetensors(path, imagenet.state_dict());
  ModelConfig cfg;
  cfg.bits = 24, cfg.backbone = "resnet18", cfg.input_size = 32;
  auto model = make_model("lsh", cfg);
  TrainOptions o;
  o.model = "lsh", o.pretrained = path;
  const std::string line = load_backbone_weights(o, *model);
  EXPECT_NE(line.find("fc.weight"), std::string::npos) << line;
  std::map<std::string, Tensor> sd;
  for (auto& [k, t] : model->state_dict()) sd[k] = t;
  ASSERT_TRUE(sd.count("backbone.conv1.weight"));
  EXPECT_FALSE(sd.count("backbone.fc.weight"));
  for (auto& [k, t] : imagenet.state_dict()) {
    if (k == "layer4.1.conv2.weight") {
      EXPECT_EQ(sd["backbone." + k].to_vector<float>(), t.to_vector<float>());
    }
  }
  EXPECT_EQ(sd["mean"].shape(), (Shape{512}));
  Tensor x = Tensor::randn({20, 1, 28, 28}, g);
  model->fit(x);
  model->eval();
  EXPECT_EQ(model->encode(x).shape(), (Shape{20, 24}));
  std::filesystem::remove(path);
}

TEST(BackboneRuns, FeaturesIsForClosedFormModelsOnly) {
  ModelConfig cfg;
  cfg.bits = 16, cfg.train_size = 4;
  auto model = make_model("hashnet", cfg);
  TrainOptions o;
  o.features = "some/checkpoint.safetensors";
  EXPECT_THROW(load_backbone_weights(o, *model), std::invalid_argument);
  auto lsh = make_model("lsh", cfg);  // pixels: no backbone to load into
  TrainOptions p;
  p.model = "lsh", p.pretrained = "r18.safetensors";
  EXPECT_THROW(load_backbone_weights(p, *lsh), std::invalid_argument);
}

// ITQ on the small CNN features of a (briefly trained) HashNet run: --features takes the
// run's backbone and its weights; eval rebuilds the model from the ITQ checkpoint alone.
TEST(BackboneRuns, ItqOnACheckpointsFeatures) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  TrainOptions o;
  o.model = "itq", o.bits = 16, o.quick = true, o.quiet = true;
  o.features = test::briefly_trained_cnn("he_features_source");
  o.out = temp_path("he_itq_features");
  std::filesystem::remove_all(o.out);
  RunSummary s = train(o);
  ASSERT_TRUE(s.finished);
  EXPECT_GT(s.eval.map_k, 0.3);  // chance is 0.1
  SafetensorsFile src = load_safetensors(o.features);
  SafetensorsFile ckpt = load_safetensors(o.out + "/checkpoint.safetensors");
  EXPECT_EQ(ckpt.tensors.at("backbone.fc.0.weight").to_vector<float>(),
            src.tensors.at("net.fc.0.weight").to_vector<float>());
  EXPECT_FALSE(ckpt.tensors.count("backbone.head.weight"));
  EXPECT_EQ(options_from_json(ckpt.metadata.at("options")).backbone, "small");
  RunSummary again = evaluate_checkpoint(o.out + "/checkpoint.safetensors", 1000, true, 2);
  EXPECT_DOUBLE_EQ(again.eval.map_k, s.eval.map_k);
  std::filesystem::remove_all(std::filesystem::path(o.features).parent_path());
  std::filesystem::remove_all(o.out);
}

// TBH on the small CNN features of a (briefly trained) HashNet run: the autoencoder reads
// and rebuilds the 512-d features, the backbone stays frozen (its weights in the TBH
// checkpoint are the source run's, untouched by the steps), and eval rebuilds the model from
// the TBH checkpoint alone.
TEST(BackboneRuns, TbhOnACheckpointsFeatures) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  TrainOptions o;
  o.model = "tbh", o.bits = 16, o.quick = true, o.quiet = true, o.epochs = 1;
  o.features = test::briefly_trained_cnn("he_tbh_features_source");
  o.out = temp_path("he_tbh_features");
  std::filesystem::remove_all(o.out);
  RunSummary s = train(o);
  ASSERT_TRUE(s.finished);  // (15 steps say nothing of TBH's mAP: its codes start near chance)
  SafetensorsFile src = load_safetensors(o.features);
  SafetensorsFile ckpt = load_safetensors(o.out + "/checkpoint.safetensors");
  for (const char* name : {"fc.0.weight", "features.0.weight", "features.1.running_mean"})
    EXPECT_EQ(ckpt.tensors.at(std::string("backbone.") + name).to_vector<float>(),
              src.tensors.at(std::string("net.") + name).to_vector<float>())
        << name;
  EXPECT_EQ(ckpt.tensors.at("encoder.fc1.weight").shape(), (Shape{1024, 512}));
  EXPECT_EQ(ckpt.tensors.at("decoder.fc2.weight").shape(), (Shape{512, 1024}));
  RunSummary again = evaluate_checkpoint(o.out + "/checkpoint.safetensors", 1000, true, 2);
  EXPECT_DOUBLE_EQ(again.eval.map_k, s.eval.map_k);
  std::filesystem::remove_all(std::filesystem::path(o.features).parent_path());
  std::filesystem::remove_all(o.out);
}

// The mlp network: fc(784 -> 1024) - ReLU -> head, under "fc.0." and "head."; the default of
// five unsupervised models only, and --backbone still overrides it.
TEST(MlpBackbone, ShapesNamesAndWhichModelsDefaultToIt) {
  Generator init(0);
  BackboneSpec spec;
  spec.name = "mlp", spec.out = 16;
  auto net = make_backbone(spec, init, std::make_shared<Generator>(1));
  Tensor x = Tensor::randn({4, 1, 28, 28}, init);
  EXPECT_EQ(net->forward(x).shape(), (Shape{4, 16}));
  EXPECT_EQ(net->features_of(x).shape(), (Shape{4, 1024}));
  std::vector<std::string> names;
  for (auto& [n, p] : net->named_parameters()) names.push_back(n);
  EXPECT_EQ(names,
            (std::vector<std::string>{"fc.0.weight", "fc.0.bias", "head.weight", "head.bias"}));
  spec.input_size = 32;
  EXPECT_THROW(make_backbone(spec, init, nullptr), std::invalid_argument);

  ModelConfig cfg;
  cfg.bits = 16, cfg.train_size = 600, cfg.clusters = 10;
  for (const char* m : {"pseudo", "dvb", "greedyhash-u", "deepbit", "uth"}) {
    EXPECT_EQ(model_default_backbone(m), "mlp") << m;
    EXPECT_EQ(make_model(m, cfg)->backbone()->name(), "MlpBackbone") << m;
  }
  for (const char* m : {"dpsh", "hashnet", "ssdh"}) {
    EXPECT_EQ(model_default_backbone(m), "small") << m;
    EXPECT_EQ(make_model(m, cfg)->backbone()->name(), "SmallCNN") << m;
  }
  cfg.backbone = "small";
  EXPECT_EQ(make_model("dvb", cfg)->backbone()->name(), "SmallCNN");
}

// --features on a run whose network is its model's default mlp (the run records "mlp" in its
// options and its log): ITQ rebuilds an mlp, takes its weights, and records "mlp".
TEST(BackboneRuns, ItqOnAnMlpRunsFeatures) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  TrainOptions src;
  src.model = "pseudo", src.bits = 16, src.quick = true, src.quiet = true;
  src.stop_after_iters = 1;
  src.out = temp_path("he_mlp_features_source");
  std::filesystem::remove_all(src.out);
  train(src);
  std::ifstream log(src.out + "/train.log");
  const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("backbone mlp (the model's default)"), std::string::npos) << text;
  EXPECT_EQ(options_from_json(
                load_safetensors(src.out + "/checkpoint.safetensors").metadata.at("options"))
                .backbone,
            "mlp");
  TrainOptions o;
  o.model = "itq", o.bits = 16, o.quick = true, o.quiet = true;
  o.features = src.out + "/checkpoint.safetensors";
  o.out = temp_path("he_itq_mlp_features");
  std::filesystem::remove_all(o.out);
  RunSummary s = train(o);
  ASSERT_TRUE(s.finished);
  SafetensorsFile ckpt = load_safetensors(o.out + "/checkpoint.safetensors");
  EXPECT_EQ(ckpt.tensors.at("backbone.fc.0.weight").to_vector<float>(),
            load_safetensors(o.features).tensors.at("net.fc.0.weight").to_vector<float>());
  EXPECT_EQ(options_from_json(ckpt.metadata.at("options")).backbone, "mlp");
  RunSummary again = evaluate_checkpoint(o.out + "/checkpoint.safetensors", 1000, true, 2);
  EXPECT_DOUBLE_EQ(again.eval.map_k, s.eval.map_k);
  std::filesystem::remove_all(src.out);
  std::filesystem::remove_all(o.out);
}

}  // namespace
}  // namespace he::zoo
