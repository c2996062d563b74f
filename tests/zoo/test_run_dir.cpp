// The run folder is never lost by accident: a folder that holds a run is refused unless
// --resume or --overwrite says what to do with it, --overwrite removes the old run only once
// the new one has a checkpoint, a folder is used by one process at a time (flock, holder's
// pid in the message), every number on the command line is range-checked, a full disk during
// a checkpoint write is a clear error that leaves the previous checkpoint to resume from, and
// the SIGINT handler comes back however training ends.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engine/io/safetensors.h"
#include "run_binary.h"
#include "zoo/run_dir.h"
#include "zoo/trainer.h"
#include "zoo_test_util.h"

namespace he::zoo {
namespace {
namespace fs = std::filesystem;

std::string fresh_dir(const std::string& name) {
  const std::string p = test::temp_path("he_run_dir_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void put(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// The message of the std::exception `f` throws ("" when it throws none).
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

using he::testing::Exit;

// Runs the hashnet binary with `args`; `file_size_limit` > 0 makes a write past it fail with
// EFBIG, as on a full disk.
Exit run_hashnet(const std::vector<std::string>& args, const std::string& out_file,
                 rlim_t file_size_limit = 0) {
  std::vector<std::string> all{HE_HASHNET_BIN};
  all.insert(all.end(), args.begin(), args.end());
  return he::testing::run_binary(std::move(all), out_file, {.file_size_limit = file_size_limit});
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void on_test_sigint(int) {}

TEST(SigintGuard, RestoresTheHandlerWhenTrainingThrows) {
  auto previous = std::signal(SIGINT, on_test_sigint);
  try {
    SigintGuard guard;
    EXPECT_FALSE(guard.interrupted());
    std::raise(SIGINT);  // caught by the guard's handler: the flag, not the test's handler
    EXPECT_TRUE(guard.interrupted());
    throw std::runtime_error("a step failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(std::signal(SIGINT, previous), &on_test_sigint);
}

TEST(RunLock, SecondHolderIsRefusedWithTheFirstsPid) {
  const std::string dir = fresh_dir("lock");
  {
    RunLock first(dir);
    EXPECT_EQ(slurp(dir + "/run.lock"), std::to_string(::getpid()) + "\n");
    const std::string e = error_of([&] { RunLock second(dir); });
    EXPECT_TRUE(contains(e, dir + " is in use by process " + std::to_string(::getpid()))) << e;
  }
  EXPECT_EQ(error_of([&] { RunLock again(dir); }), "");  // released with the first
  fs::remove_all(dir);
}

TEST(RunFolder, AFolderHoldingARunNeedsResumeOrOverwrite) {
  const std::string dir = fresh_dir("free");
  EXPECT_EQ(error_of([&] { check_run_folder_free(dir, false, false); }), "");
  put(dir + "/metrics.json", "{}");
  const std::string e = error_of([&] { check_run_folder_free(dir, false, false); });
  EXPECT_TRUE(contains(e, dir + " already holds a run (metrics.json)")) << e;
  EXPECT_TRUE(contains(e, "--resume") && contains(e, "--overwrite")) << e;
  EXPECT_EQ(error_of([&] { check_run_folder_free(dir, true, false); }), "");
  EXPECT_EQ(error_of([&] { check_run_folder_free(dir, false, true); }), "");
  EXPECT_TRUE(contains(error_of([&] { check_run_folder_free(dir, true, true); }), "one of them"));
  fs::remove_all(dir);
}

TEST(RunFolder, ReplacedRunGoesOnlyAfterTheNewCheckpoint) {
  const std::string dir = fresh_dir("replace");
  for (const char* f : {"checkpoint.safetensors", "checkpoint.prev.safetensors", "metrics.json",
                        "db_codes.npy", "train.log"})
    put(dir + "/" + f, std::string("old ") + f);
  ReplacedRun replaced(dir, true);
  EXPECT_EQ(replaced.log_path(), dir + "/train.log.new");
  put(replaced.log_path(), "new log");
  EXPECT_EQ(run_files_in(dir).size(), 5u);  // nothing of the old run has gone yet
  // save_checkpoint's rotation: the old newest becomes the previous, the new one the newest.
  fs::rename(dir + "/checkpoint.safetensors", dir + "/checkpoint.prev.safetensors");
  put(dir + "/checkpoint.safetensors", "new checkpoint");
  replaced.new_checkpoint_written();
  EXPECT_EQ(run_files_in(dir), (std::vector<std::string>{"checkpoint.safetensors", "train.log"}));
  EXPECT_EQ(slurp(dir + "/checkpoint.safetensors"), "new checkpoint");
  EXPECT_EQ(slurp(dir + "/train.log"), "new log");
  replaced.new_checkpoint_written();  // later checkpoints leave the new run alone
  EXPECT_EQ(run_files_in(dir).size(), 2u);
  // Without --overwrite, or into an empty folder, the run logs to train.log.
  EXPECT_EQ(ReplacedRun(dir, false).log_path(), dir + "/train.log");
  fs::remove_all(dir);
}

TEST(RunFolderCli, SecondRunIntoAFolderIsRefusedAndLeavesItAlone) {
  const std::string dir = fresh_dir("cli_twice");
  put(dir + "/metrics.json", "{\"map@1000\": 0.5}");
  put(dir + "/checkpoint.safetensors", "a finished run's checkpoint");
  const Exit e = run_hashnet({"train", "--quick", "--epochs", "1", "--out", dir}, dir + "/out");
  EXPECT_NE(e.status, 0);
  EXPECT_FALSE(contains(e.output, "epoch 1/")) << e.output;  // refused before any training
  EXPECT_TRUE(contains(e.output, dir + " already holds a run")) << e.output;
  EXPECT_TRUE(contains(e.output, "--resume") && contains(e.output, "--overwrite")) << e.output;
  // The folder is checked before the data are read: a data set that does not exist is not
  // what the refusal names.
  const Exit bad_data = run_hashnet(
      {"train", "--data", "idx:" + dir + "/no-such-data", "--epochs", "1", "--out", dir},
      dir + "/out");
  EXPECT_NE(bad_data.status, 0);
  EXPECT_TRUE(contains(bad_data.output, dir + " already holds a run")) << bad_data.output;
  EXPECT_EQ(slurp(dir + "/metrics.json"), "{\"map@1000\": 0.5}");
  EXPECT_EQ(slurp(dir + "/checkpoint.safetensors"), "a finished run's checkpoint");
  fs::remove_all(dir);
}

TEST(RunFolderCli, FolderInUseIsRefusedNamingTheHolder) {
  const std::string dir = fresh_dir("cli_busy");
  RunLock held(dir);  // this test process holds the folder, as a training process would
  const Exit e = run_hashnet({"train", "--quick", "--epochs", "1", "--out", dir}, dir + "/out");
  EXPECT_NE(e.status, 0);
  EXPECT_FALSE(contains(e.output, "epoch 1/")) << e.output;
  EXPECT_TRUE(contains(e.output, dir + " is in use by process " + std::to_string(::getpid())))
      << e.output;
  EXPECT_FALSE(fs::exists(dir + "/train.log"));
  fs::remove_all(dir);
}

TEST(RunFolderCli, EveryNumberIsRangeChecked) {
  const std::string dir = fresh_dir("cli_ranges");
  const std::string out = dir + "/out";
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases{
      {{"train", "--bits", "0"}, "--bits: 0 is outside the allowed range [1, 32768]"},
      {{"train", "--epochs", "0"}, "--epochs: 0 is outside the allowed range [1, 100000]"},
      {{"train", "--batch", "-3"}, "--batch: -3 is outside the allowed range [1, 1000000]"},
      {{"train", "--lr", "0"}, "--lr: 0 is outside the allowed range [1e-09, 10]"},
      {{"train", "--threads", "0"}, "--threads: 0 is outside the allowed range [1, 1024]"},
      {{"train", "--k", "-5"}, "--k: -5 is outside the allowed range [1, 100000000]"},
      {{"train", "--input-size", "0"}, "--input-size: 0 is outside the allowed range [1, 4096]"},
      {{"train", "--seed", "-1"}, "--seed: -1 is not a number in the allowed range"},
      {{"eval", "--ckpt", out, "--k", "0"}, "--k: 0 is outside the allowed range"},
      {{"search", "--ckpt", out, "--out", out, "--k", "-5"},
       "--k: -5 is outside the allowed range [1, 1000]"},
  };
  put(out, "");  // --ckpt must name an existing file
  for (const Case& c : cases) {
    std::vector<std::string> args = c.args;
    if (args[0] == "train") args.insert(args.end(), {"--out", dir + "/run"});
    const Exit e = run_hashnet(args, dir + "/stdout");
    EXPECT_NE(e.status, 0) << c.message;
    EXPECT_TRUE(contains(e.output, c.message)) << "wanted: " << c.message << "\ngot: " << e.output;
  }
  EXPECT_FALSE(fs::exists(dir + "/run"));  // refused while parsing, before any work
  fs::remove_all(dir);
}

// --device cuda never trains on the CPU in silence: without a usable device the error says
// so, at once, before anything is written.
TEST(RunFolderCli, CudaDeviceIsRefusedAtOnceWithoutTraining) {
  const std::string dir = fresh_dir("cli_cuda");
  const Exit e =
      run_hashnet({"train", "--device", "cuda", "--quick", "--epochs", "1", "--out", dir + "/run"},
                  dir + "/out");
  EXPECT_NE(e.status, 0);
  EXPECT_FALSE(contains(e.output, "epoch 1/")) << e.output;
  EXPECT_TRUE(contains(e.output, "cuda")) << e.output;
  EXPECT_FALSE(fs::exists(dir + "/run"));
  fs::remove_all(dir);
}

TEST(RunFolderCli, OverwriteReplacesTheRunOnceTheNewOneHasACheckpoint) {
  if (!test::have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const std::string dir = fresh_dir("cli_overwrite");
  for (const char* f : {"checkpoint.safetensors", "metrics.json", "db_codes.npy", "train.log"})
    put(dir + "/" + f, "old");
  const std::vector<std::string> common{"train", "--quick", "--bits",     "16",
                                        "--out", dir,       "--overwrite"};
  // A replacement that fails before its first checkpoint leaves the old run as it was.
  std::vector<std::string> failing = common;
  failing.insert(failing.end(), {"--backbone", "pixels"});  // pixels are for lsh / itq only
  const Exit bad = run_hashnet(failing, dir + "/out");
  EXPECT_NE(bad.status, 0) << bad.output;
  for (const char* f : {"checkpoint.safetensors", "metrics.json", "db_codes.npy", "train.log"})
    EXPECT_EQ(slurp(dir + "/" + f), "old") << f;
  // One that checkpoints replaces it: the old files are gone, the log is the new run's.
  std::vector<std::string> good = common;
  good.insert(good.end(), {"--stop-after", "1"});
  const Exit ok = run_hashnet(good, dir + "/out");
  ASSERT_EQ(ok.status, 0) << ok.output;
  EXPECT_EQ(load_safetensors(dir + "/checkpoint.safetensors").metadata.at("iteration"), "1");
  EXPECT_FALSE(fs::exists(dir + "/checkpoint.prev.safetensors"));
  EXPECT_FALSE(fs::exists(dir + "/metrics.json"));
  EXPECT_FALSE(fs::exists(dir + "/db_codes.npy"));
  EXPECT_FALSE(fs::exists(dir + "/train.log.new"));
  const std::string log = slurp(dir + "/train.log");
  EXPECT_EQ(log.find("old"), std::string::npos) << log;
  EXPECT_TRUE(contains(log, "stopped at iteration 1")) << log;
  fs::remove_all(dir);
}

TEST(RunFolderCli, FullDiskDuringACheckpointKeepsThePreviousOneToResumeFrom) {
  if (!test::have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const std::string dir = fresh_dir("cli_full_disk");
  const std::vector<std::string> common{"train", "--quick", "--bits", "16", "--out", dir};
  std::vector<std::string> first = common;
  first.insert(first.end(), {"--stop-after", "1"});
  ASSERT_EQ(run_hashnet(first, dir + "/out").status, 0) << slurp(dir + "/out");
  const std::string ckpt = dir + "/checkpoint.safetensors", before = slurp(ckpt);
  ASSERT_GT(before.size(), 4096u);
  // Resumed with no room for another checkpoint (writes past half its size fail with EFBIG,
  // as on a full disk): a clear error, and the checkpoint on disk is the one from before.
  std::vector<std::string> resumed = common;
  resumed.insert(resumed.end(), {"--resume", "--stop-after", "2"});
  const Exit full = run_hashnet(resumed, dir + "/out", before.size() / 2);
  EXPECT_NE(full.status, 0);
  EXPECT_TRUE(contains(full.output, "hashnet: error:") && contains(full.output, "checkpoint"))
      << full.output;
  EXPECT_EQ(slurp(ckpt), before);
  // With room again, --resume continues from it.
  const Exit again = run_hashnet(resumed, dir + "/out");
  ASSERT_EQ(again.status, 0) << again.output;
  EXPECT_EQ(load_safetensors(ckpt).metadata.at("iteration"), "2");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace he::zoo
