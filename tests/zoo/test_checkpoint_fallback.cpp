// A truncated newest checkpoint is rejected with a clear error and the previous one, kept
// by save_checkpoint as checkpoint.prev.safetensors, still loads and resumes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "zoo/checkpoint.h"

namespace he::zoo {
namespace {
namespace fs = std::filesystem;

TEST(CheckpointFallback, TruncatedNewestIsRejectedAndThePreviousLoads) {
  const fs::path dir = fs::temp_directory_path() / ("he_ckpt_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string ckpt = (dir / "checkpoint.safetensors").string();
  ModelConfig cfg;
  cfg.bits = 16, cfg.train_size = 8;
  std::shared_ptr<HashModel> model = make_model("hashnet", cfg);
  auto opt = model->make_optimizer(cfg);
  TrainOptions o;
  o.bits = 16;
  RunPosition pos;
  pos.epoch = 1, pos.iteration = 47;
  save_checkpoint(ckpt, *model, *opt, o, pos);
  EXPECT_FALSE(fs::exists(previous_checkpoint_path(ckpt)));
  pos.epoch = 2, pos.iteration = 94;
  save_checkpoint(ckpt, *model, *opt, o, pos);
  ASSERT_TRUE(fs::exists(previous_checkpoint_path(ckpt)));
  EXPECT_EQ(previous_checkpoint_path(ckpt), (dir / "checkpoint.prev.safetensors").string());

  fs::resize_file(ckpt, fs::file_size(ckpt) / 2);  // torn by a crash or a full disk
  try {
    load_safetensors(ckpt);
    ADD_FAILURE() << "a truncated checkpoint loaded";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(ckpt), std::string::npos) << what;
    EXPECT_NE(what.find("byte"), std::string::npos) << what;  // names the size problem
  }
  std::string used, skipped;
  SafetensorsFile file = read_checkpoint_or_previous(ckpt, &used, &skipped);
  EXPECT_EQ(used, previous_checkpoint_path(ckpt));
  EXPECT_NE(skipped.find(ckpt), std::string::npos) << skipped;
  std::shared_ptr<HashModel> again = make_model("hashnet", cfg);
  auto opt2 = again->make_optimizer(cfg);
  const RunPosition got = load_checkpoint(file, *again, opt2.get());
  EXPECT_EQ(got.epoch, 1);
  EXPECT_EQ(got.iteration, 47);

  fs::resize_file(previous_checkpoint_path(ckpt), 7);
  EXPECT_THROW(read_checkpoint_or_previous(ckpt, &used, &skipped), std::runtime_error);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace he::zoo
