// --backbone vit: the small ViT under torchvision's VisionTransformer names, its feature map
// on the patch grid, and a HashNet on it that trains on FM-quick batches (finite, falling loss).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "zoo/backbones.h"
#include "zoo/model.h"
#include "zoo/nets/vit_backbone.h"
#include "zoo_test_util.h"

namespace he::zoo {
namespace {

std::shared_ptr<Backbone> vit(int64_t out, int64_t input_size = 0) {
  BackboneSpec spec;
  spec.name = "vit", spec.out = out, spec.input_size = input_size;
  Generator init(3);
  return make_backbone(spec, init, std::make_shared<Generator>(4));
}

TEST(VitBackbone, TorchvisionNamesAndShapes) {
  auto net = vit(16);
  EXPECT_EQ(net->name(), "ViT");
  std::vector<std::string> names;
  for (const auto& [n, t] : net->state_dict()) names.push_back(n);
  for (const char* want : {"conv_proj.weight", "conv_proj.bias", "class_token",
                           "encoder.pos_embedding", "encoder.layers.encoder_layer_0.ln_1.weight",
                           "encoder.layers.encoder_layer_3.self_attention.in_proj_weight",
                           "encoder.ln.weight", "heads.head.weight", "heads.head.bias"})
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  // Every name once: the ViT's parts are registered once, not again under a "vit." prefix.
  std::vector<std::string> sorted = names;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end());
  EXPECT_EQ(std::count_if(names.begin(), names.end(),
                          [](const std::string& n) { return n.rfind("heads.", 0) == 0; }),
            2);

  Generator g(5);
  Tensor x = Tensor::randn({3, 1, 28, 28}, g);
  net->eval();
  EXPECT_EQ(net->forward(x).shape(), (Shape{3, 16}));
  EXPECT_EQ(net->features_of(x).shape(), (Shape{3, 64}));
  EXPECT_EQ(net->feature_map(x).shape(), (Shape{3, 64, 4, 4}));  // patch 7 on 28: 4x4 tokens
  auto headless = vit(0);
  EXPECT_EQ(headless->head, nullptr);
  for (const auto& [n, t] : headless->state_dict()) EXPECT_NE(n.rfind("heads.", 0), 0u) << n;
}

TEST(VitBackbone, TakesTheDataAsItIs) {
  EXPECT_THROW(vit(16, 64), std::invalid_argument);  // --input-size is for torchvision's nets
  BackboneSpec odd;
  odd.name = "vit", odd.out = 8, odd.image_size = 30;  // neither 7 nor 4 divides 30
  Generator init(1);
  EXPECT_THROW(make_backbone(odd, init, nullptr), std::invalid_argument);
}

// HashNet on the ViT, two fixed FM-quick batches of 32 alternated: the loss falls.
TEST(VitBackbone, HashNetOnTheVitLossFalls) {
  if (!test::have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  set_num_threads(2);
  const data::ImageSet& train = test::first_train_images(64);
  ModelConfig cfg;
  cfg.bits = 16, cfg.train_size = train.n, cfg.backbone = "vit";
  auto model = make_model("hashnet", cfg);
  ASSERT_NE(model->backbone(), nullptr);
  EXPECT_EQ(model->backbone()->name(), "ViT");
  auto opt = model->make_optimizer(cfg);
  std::vector<TrainBatch> batches;
  for (int i = 0; i < 2; ++i) batches.push_back(test::batch_of(train, i * 32, 32));
  model->train();
  double first = 0, last = 0;
  const int iters = 20;
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

}  // namespace
}  // namespace he::zoo
