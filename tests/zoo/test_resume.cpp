// Exact resume: a run killed with SIGKILL mid-epoch, resumed, stopped cleanly mid-epoch
// (--stop-after), resumed, interrupted with SIGINT and resumed again ends with the same
// weights, optimiser state, losses and codes, bit for bit, as an uninterrupted run with the
// same seed and thread count (CPU, FM-quick).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "engine/io/safetensors.h"
#include "run_binary.h"
#include "zoo/trainer.h"

namespace {
namespace fs = std::filesystem;

std::string fresh_dir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("he_resume_" + std::to_string(::getpid())) / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

// Starts build/bin/hashnet train with the common flags plus `extra`; output goes to run.out.
pid_t start(const std::string& dir, std::vector<std::string> extra) {
  std::vector<std::string> args = {HE_HASHNET_BIN, "train",  "--quick", "--epochs",  "2", "--bits",
                                   "16",           "--seed", "3",       "--threads", "2", "--k",
                                   "100",          "--out",  dir};
  args.insert(args.end(), extra.begin(), extra.end());
  return he::testing::spawn(std::move(args), dir + "/run.out", {.append = true});
}

using he::testing::wait_exit;

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void expect_same_tensors(const std::string& a, const std::string& b) {
  he::SafetensorsFile fa = he::load_safetensors(a), fb = he::load_safetensors(b);
  ASSERT_EQ(fa.tensors.size(), fb.tensors.size());
  for (const auto& [name, t] : fa.tensors) {
    auto it = fb.tensors.find(name);
    ASSERT_NE(it, fb.tensors.end()) << name;
    ASSERT_EQ(t.shape(), it->second.shape()) << name;
    ASSERT_EQ(t.nbytes(), it->second.nbytes()) << name;
    EXPECT_EQ(std::memcmp(t.raw_data(), it->second.raw_data(), t.nbytes()), 0)
        << name << " differs";
  }
  for (const char* key : {"epoch", "batch", "iteration"})
    EXPECT_EQ(fa.metadata[key], fb.metadata[key]) << key;
}

TEST(Resume, KilledAndStoppedRunsMatchAnUninterruptedOneBitForBit) {
  const std::string ref = fresh_dir("ref"), run = fresh_dir("run");
  ASSERT_EQ(wait_exit(start(ref, {})), 0) << slurp(ref + "/run.out");

  // Kill the run mid-way through epoch 2: epoch 1's checkpoint exists, the run has not ended.
  const pid_t pid = start(run, {});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
  while (!fs::exists(run + "/checkpoint.safetensors") &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_EQ(wait_exit(pid), 128 + SIGKILL)
      << "the run ended before the kill: " << slurp(run + "/run.out");
  ASSERT_FALSE(fs::exists(run + "/metrics.json"));

  // Resume and stop cleanly mid-epoch 2 (47 batches per epoch).
  ASSERT_EQ(wait_exit(start(run, {"--resume", "--stop-after", "60"})), 0)
      << slurp(run + "/run.out");
  EXPECT_EQ(he::load_safetensors(run + "/checkpoint.safetensors").metadata["iteration"], "60");
  ASSERT_FALSE(fs::exists(run + "/metrics.json"));

  // SIGINT once training is under way: the step finishes, a checkpoint is written, exit 0.
  const pid_t again = start(run, {"--resume"});
  while (slurp(run + "/train.log").find("iteration 60)") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  ASSERT_EQ(::kill(again, SIGINT), 0);
  ASSERT_EQ(wait_exit(again), 0) << slurp(run + "/run.out");
  if (fs::exists(run + "/metrics.json")) {
    ADD_FAILURE() << "the run finished before SIGINT arrived; SIGINT was not exercised";
  } else {
    EXPECT_NE(slurp(run + "/train.log").find("(interrupted)"), std::string::npos);
    ASSERT_EQ(wait_exit(start(run, {"--resume"})), 0) << slurp(run + "/run.out");
  }

  expect_same_tensors(ref + "/checkpoint.safetensors", run + "/checkpoint.safetensors");
  for (const char* f : {"db_codes.npy", "query_codes.npy"}) {
    const std::string a = slurp(ref + "/" + f), b = slurp(run + "/" + f);
    EXPECT_FALSE(a.empty()) << f;
    EXPECT_TRUE(a == b) << f << " differs";
  }
  fs::remove_all(fs::path(ref).parent_path());
}

// TBH, an adversarial model (actor and critic, each with its own Adam, and a prior sampling
// stream): stopped mid-epoch and resumed twice, it ends bit for bit where an uninterrupted
// run does (in-process and 16 bits on FM-quick, to stay cheap).
TEST(Resume, AdversarialTbhContinuesBitForBit) {
  he::zoo::TrainOptions o;
  o.model = "tbh";
  o.bits = 16;
  o.epochs = 2;  // 15 batches of 400 per epoch
  o.seed = 5;
  o.threads = 2;
  o.quick = true;
  o.quiet = true;
  o.k = 100;
  const std::string ref = fresh_dir("tbh_ref"), run = fresh_dir("tbh_run");
  o.out = ref;
  ASSERT_TRUE(he::zoo::train(o).finished);
  o.out = run;
  o.stop_after_iters = 7;  // mid-epoch 1
  ASSERT_FALSE(he::zoo::train(o).finished);
  o.resume = true;
  o.stop_after_iters = 22;  // mid-epoch 2
  ASSERT_FALSE(he::zoo::train(o).finished);
  o.stop_after_iters = -1;
  ASSERT_TRUE(he::zoo::train(o).finished);
  expect_same_tensors(ref + "/checkpoint.safetensors", run + "/checkpoint.safetensors");
  he::SafetensorsFile f = he::load_safetensors(run + "/checkpoint.safetensors");
  EXPECT_TRUE(f.tensors.count("optimizer_critic.state.0.0.exp_avg"));
  EXPECT_EQ(f.tensors.at("trainer.losses.critic").numel(), 30);
  EXPECT_TRUE(f.metadata.count("rng.prior.offset"));
  EXPECT_FALSE(f.metadata.count("rng.sample.offset"));  // fixed thresholds: no sampling stream
  EXPECT_EQ(slurp(ref + "/db_codes.npy"), slurp(run + "/db_codes.npy"));
  // Both parts' losses are plotted and the codes' bit balance is logged.
  const std::string svg = slurp(run + "/loss.svg"), log = slurp(run + "/train.log");
  EXPECT_NE(svg.find("training actor"), std::string::npos);
  EXPECT_NE(svg.find("training critic"), std::string::npos);
  EXPECT_NE(log.find("critic"), std::string::npos);
  EXPECT_NE(log.find("bit balance"), std::string::npos);
  fs::remove_all(fs::path(ref).parent_path());
}

}  // namespace
