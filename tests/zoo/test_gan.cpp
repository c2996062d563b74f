// The GAN hashing models (bingan, bgan) and their DCGAN blocks: shapes and output range of the
// blocks, and the split of every parameter into exactly one of the two optimisers (the
// discriminator never steps on the generator's loss and the other way round).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "engine/data/datasets.h"
#include "optim/optim.h"
#include "zoo/model.h"
#include "zoo/nets/dcgan.h"
#include "zoo/trainer.h"
#include "zoo_test_util.h"

namespace he::zoo {
namespace {

TEST(Dcgan, ShapesAndPixelRange) {
  Generator g(1);
  auto gen = nn::dcgan_generator(16, g);
  Tensor x = gen->forward(Tensor::randn({5, 16}, g, DType::f32));
  ASSERT_EQ(x.shape(), (Shape{5, 1, 28, 28}));
  // (sigmoid - mean) / std: inside the normalised values of pixels 0 and 255.
  const double lo = -data::kFashionMnistMean / data::kFashionMnistStd,
               hi = (1 - data::kFashionMnistMean) / data::kFashionMnistStd;
  for (float v : x.to_vector<float>()) {
    ASSERT_GE(v, lo - 1e-5);
    ASSERT_LE(v, hi + 1e-5);
  }
  auto with_bn = nn::dcgan_trunk(32, g), without = nn::dcgan_trunk(32, g, false);
  EXPECT_EQ(with_bn->forward(x).shape(), (Shape{5, 32}));
  EXPECT_EQ(without->forward(x).shape(), (Shape{5, 32}));
  EXPECT_EQ(with_bn->parameters().size(), without->parameters().size() + 2);  // BN weight, bias
}

class GanModel : public ::testing::TestWithParam<std::string> {};

TEST_P(GanModel, EachParameterStepsInExactlyOnePart) {
  ModelConfig cfg;
  cfg.bits = 16;
  auto model = make_model(GetParam(), cfg);
  auto main = model->make_optimizer(cfg);
  std::vector<ExtraPart> extra = model->make_extra_parts(cfg);
  ASSERT_EQ(extra.size(), 1u);
  std::multiset<const void*> stepped;
  for (const optim::Optimizer* o : {main.get(), extra[0].optimizer.get()})
    for (const Tensor& p : optim::all_params(o->groups())) stepped.insert(p.raw_data());
  std::set<const void*> all;
  for (const Tensor& p : model->parameters()) all.insert(p.raw_data());
  EXPECT_EQ(stepped.size(), all.size());
  for (const void* p : all) EXPECT_EQ(stepped.count(p), 1u);
}

INSTANTIATE_TEST_SUITE_P(All, GanModel, ::testing::Values("bingan", "bgan"));

// A run that names no --epochs runs the model's default: 10 for bingan (its file says why),
// 5 for the others; --epochs overrides it, and a negative count is refused. The first line of
// the log states the count.
TEST(BinGan, RunsTenEpochsUnlessTold) {
  if (!test::have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  auto epochs_logged = [](const std::string& model, int64_t epochs) {
    TrainOptions o;
    o.model = model, o.bits = 16, o.quick = true, o.quiet = true, o.stop_after_iters = 1;
    o.epochs = epochs;
    o.out = test::temp_path("he_default_epochs");
    std::filesystem::remove_all(o.out);
    train(o);
    std::stringstream log;
    log << std::ifstream(o.out + "/train.log").rdbuf();
    std::filesystem::remove_all(o.out);
    const std::string text = log.str();
    const size_t at = text.find("  epochs ");
    return at == std::string::npos ? std::string("(no epochs in the log)")
                                   : text.substr(at + 9, text.find(' ', at + 9) - at - 9);
  };
  EXPECT_EQ(epochs_logged("bingan", 0), "10");
  EXPECT_EQ(epochs_logged("bingan", 3), "3");
  EXPECT_EQ(epochs_logged("bgan", 0), "5");
  EXPECT_THROW(epochs_logged("bgan", -2), std::invalid_argument);
}

}  // namespace
}  // namespace he::zoo
