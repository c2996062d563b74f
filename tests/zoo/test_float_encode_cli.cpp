// `encode --float --pretrained W --backbone B` (no checkpoint): the binary writes the same
// descriptors as backbone_descriptors on a headless network holding W, for the data given.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <stb_image_write.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "engine/io/safetensors.h"
#include "retrieval/npy.h"
#include "run_binary.h"
#include "zoo/cnn_model.h"
#include "zoo/dataset.h"
#include "zoo/float_encode.h"
#include "zoo/nets/torchvision_nets.h"
#include "zoo/trainer.h"
#include "zoo_test_util.h"

namespace he::zoo {
namespace {
namespace fs = std::filesystem;

// A single-label list set: 8x8 grey images, 24 for training (= database), 8 queries.
void write_list(const std::string& dir) {
  fs::create_directories(dir + "/img");
  std::string train, test;
  for (int i = 0; i < 32; ++i) {
    std::vector<uint8_t> px(64);
    for (int p = 0; p < 64; ++p) px[p] = static_cast<uint8_t>((i * 37 + p * (i % 3 + 1)) % 251);
    const std::string name = fmt::format("img/{:02d}.png", i);
    ASSERT_TRUE(stbi_write_png((dir + "/" + name).c_str(), 8, 8, 1, px.data(), 8));
    (i < 24 ? train : test) += fmt::format("{} {} {}\n", name, i % 2, 1 - i % 2);
  }
  std::ofstream(dir + "/train.txt") << train;
  std::ofstream(dir + "/database.txt") << train;
  std::ofstream(dir + "/test.txt") << test;
}

int run_hashnet(std::vector<std::string> args, const std::string& log) {
  args.insert(args.begin(), HE_HASHNET_BIN);
  return he::testing::run_binary(std::move(args), log).status;
}

TEST(FloatEncodeCli, PretrainedWeightsWithoutACheckpoint) {
  const std::string root = test::temp_path("he_float_encode_cli");
  fs::remove_all(root);
  write_list(root + "/list");
  setenv("HE_CACHE_DIR", (root + "/cache").c_str(), 1);
  Generator g(5);
  const std::string weights = root + "/r18.safetensors";
  save_safetensors(weights, ResNet(18, 1000, g).state_dict());  // with its ImageNet fc
  const std::string out = root + "/q.npy", log = root + "/log.txt";
  const int rc =
      run_hashnet({"encode", "--float", "--pretrained", weights, "--backbone", "resnet18",
                   "--input-size", "32", "--pool", "gem", "--data", "list:" + root + "/list",
                   "--split", "test", "--threads", "1", "--out", out},
                  log);
  std::ifstream lf(log);
  const std::string text(std::istreambuf_iterator<char>(lf), {});
  ASSERT_EQ(rc, 0) << text;
  EXPECT_NE(text.find("fc.weight"), std::string::npos) << text;  // the classifier left out
  const retrieval::NpyArray got = retrieval::read_npy(out);
  ASSERT_EQ(got.shape, (std::vector<int64_t>{8, 512}));
  const std::vector<float> g_rows = retrieval::npy_to_f32(got, out);

  TrainOptions o;
  o.data = "list:" + root + "/list", o.threads = 1, o.backbone = "resnet18", o.input_size = 32;
  const data::LoadedData d = load_run_data(o);
  ModelConfig c;
  c.in_channels = d.split.train.c, c.image_size = d.split.train.h, c.input_size = 32;
  c.data_mean = d.split.train.mean, c.data_std = d.split.train.std;
  Generator init(0);
  auto net = make_backbone(backbone_spec(c, "resnet18", 0), init, std::make_shared<Generator>(1));
  load_pretrained(*net, weights);
  DescriptorOptions opt;
  opt.pool = "gem";
  const std::vector<float> want =
      backbone_descriptors(*net, d.split.query, d.split.train, opt).to_vector<float>();
  ASSERT_EQ(want.size(), g_rows.size());
  for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(g_rows[i], want[i], 1e-6) << i;
  unsetenv("HE_CACHE_DIR");
  fs::remove_all(root);
}

}  // namespace
}  // namespace he::zoo
