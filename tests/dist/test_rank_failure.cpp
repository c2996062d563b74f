// A rank that dies mid-run ends the whole job (no rank left blocked in a collective), leaves
// the last checkpoint whole, and `--resume` on the ranks continues from it (hashnet on
// FM-quick, 47 batches per epoch, under mpirun -np 2; the resumed run stops cleanly at
// iteration 60, which spares the test the final evaluation).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "dist_test_util.h"
#include "engine/dist/comm.h"
#include "engine/io/safetensors.h"

namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// mpirun -np 2 hashnet train ... as a child whose pid is mpirun's (sh execs it).
pid_t start_job(const std::string& dir, const std::string& extra) {
  std::string cmd = he_test::mpirun(2);
  cmd.replace(cmd.find("mpirun -np"), 6, "exec mpirun");
  cmd += std::string(" -x OMP_NUM_THREADS=1 ") + HE_HASHNET_BIN +
         " train --quick --epochs 2 --bits 16 --seed 3 --threads 1 --k 100"
         " --out " +
         dir + " " + extra + " >> " + dir + "/run.out 2>&1";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  return pid;
}

// The exit status of pid, or -1 when it has not ended by the deadline.
int wait_until(pid_t pid, Clock::time_point deadline) {
  int status = 0;
  while (Clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return -1;
}

// The pid of the process under `parent` whose environment says OMPI_COMM_WORLD_RANK=rank.
pid_t find_rank(pid_t parent, int rank) {
  const std::string want = "OMPI_COMM_WORLD_RANK=" + std::to_string(rank) + '\0';
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string stat = slurp(e.path().string() + "/stat");
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    int ppid = 0;
    if (std::sscanf(stat.c_str() + close + 2, "%*c %d", &ppid) != 1 || ppid != parent) continue;
    if ((slurp(e.path().string() + "/environ") + '\0').find(want) != std::string::npos)
      return static_cast<pid_t>(std::stoi(name));
  }
  return -1;
}
}  // namespace

TEST(DistMpirun, KilledRankEndsTheJobAndResumeContinues) {
  if (!he::dist::built_with_mpi()) GTEST_SKIP() << "built without MPI (ENGINE_MPI=OFF)";
  if (he::dist::World::get().distributed()) GTEST_SKIP() << "already a rank of an mpirun job";
  if (!he_test::have_mpirun()) GTEST_SKIP() << "mpirun not found";
  const fs::path dir = fs::temp_directory_path() / ("he_rank_kill_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string d = dir.string(), ckpt = d + "/checkpoint.safetensors";
  const auto deadline = Clock::now() + std::chrono::minutes(10);

  // Kill rank 1 in epoch 2: epoch 1's checkpoint exists, the run has not ended.
  const pid_t job = start_job(d, "");
  while (!fs::exists(ckpt) && Clock::now() < deadline) {
    int status = 0;
    ASSERT_EQ(::waitpid(job, &status, WNOHANG), 0)
        << "the job ended early: " << slurp(d + "/run.out");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  const pid_t rank1 = find_rank(job, 1);
  ASSERT_GT(rank1, 0) << "no rank 1 under mpirun " << job << ": " << slurp(d + "/run.out");
  ASSERT_EQ(::kill(rank1, SIGKILL), 0);
  const int status = wait_until(job, Clock::now() + std::chrono::minutes(2));
  if (status < 0) {
    ::kill(job, SIGKILL);
    ::waitpid(job, nullptr, 0);
    FAIL() << "the job went on after rank 1 died: " << slurp(d + "/run.out");
  }
  EXPECT_NE(status, 0) << slurp(d + "/run.out");
  ASSERT_FALSE(fs::exists(d + "/metrics.json")) << "the run ended before the kill";
  EXPECT_EQ(he::load_safetensors(ckpt).metadata["epoch"], "1");

  // Both ranks resume from epoch 1's checkpoint and train on to iteration 60.
  ASSERT_EQ(wait_until(start_job(d, "--resume --stop-after 60"), deadline), 0)
      << slurp(d + "/run.out");
  EXPECT_EQ(he::load_safetensors(ckpt).metadata["iteration"], "60");
  const std::string log = slurp(d + "/train.log");
  const size_t resumed = log.find("resumed ");
  ASSERT_NE(resumed, std::string::npos) << log;
  EXPECT_NE(log.substr(resumed, log.find('\n', resumed) - resumed).find("(iteration 47)"),
            std::string::npos)
      << "not resumed from epoch 1's checkpoint: " << log;
  fs::remove_all(dir);
}
