#include "zoo/run_dir.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace he::zoo {

namespace {
namespace fs = std::filesystem;
const char* const kLockName = "run.lock";
const char* const kCheckpoint = "checkpoint.safetensors";
const char* const kPreviousCheckpoint = "checkpoint.prev.safetensors";
// What a run writes (trainer.h); a checkpoint or metrics.json means a run is there.
const char* const kRunFiles[] = {
    kCheckpoint,     kPreviousCheckpoint, "metrics.json", "db_codes.npy", "query_codes.npy",
    "db_labels.npy", "query_labels.npy",  "loss.svg",     "pr.svg",       "train.log"};

// The pid written in a lock file, or "" when unreadable.
std::string holder_of(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  std::string pid(buf, n > 0 ? static_cast<size_t>(n) : 0);
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid;
}
}  // namespace

RunLock::RunLock(const std::string& dir) {
  const std::string path = (fs::path(dir) / kLockName).string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw std::runtime_error(
        fmt::format("cannot open the lock file {}: {}", path, std::strerror(errno)));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const std::string pid = holder_of(fd_);
    ::close(fd_);
    fd_ = -1;
    if (err == EWOULDBLOCK)
      throw std::runtime_error(fmt::format(
          "{} is in use by process {} (it holds {}); wait for it to finish or use another --out",
          dir, pid.empty() ? "?" : pid, path));
    throw std::runtime_error(fmt::format("cannot lock {}: {}", path, std::strerror(err)));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
    const int err = errno;
    ::close(fd_);
    throw std::runtime_error(fmt::format("cannot write {}: {}", path, std::strerror(err)));
  }
}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock; the file stays for the next run
}

std::vector<std::string> run_files_in(const std::string& dir) {
  std::vector<std::string> found;
  for (const char* name : kRunFiles)
    if (fs::exists(fs::path(dir) / name)) found.push_back(name);
  return found;
}

void check_run_folder_free(const std::string& dir, bool resume, bool overwrite) {
  if (resume && overwrite)
    throw std::invalid_argument(
        "--resume continues the run in --out and --overwrite replaces "
        "it: give one of them");
  if (resume || overwrite) return;
  const fs::path d(dir);
  for (const char* marker : {kCheckpoint, kPreviousCheckpoint, "metrics.json"})
    if (fs::exists(d / marker))
      throw std::runtime_error(fmt::format(
          "{} already holds a run ({}); continue it with --resume, replace it with --overwrite, "
          "or give another --out",
          dir, marker));
}

ReplacedRun::ReplacedRun(const std::string& dir, bool overwrite) : dir_(dir) {
  if (overwrite) old_files_ = run_files_in(dir);
  if (!old_files_.empty()) fs::remove(log_path());  // left by a replacement that failed
}

std::string ReplacedRun::log_path() const {
  return (fs::path(dir_) / (old_files_.empty() ? "train.log" : "train.log.new")).string();
}

void ReplacedRun::new_checkpoint_written() {
  if (old_files_.empty()) return;
  // The new checkpoint is in place; the old one became the previous checkpoint when it was
  // written, so that goes with every other file of the old run.
  for (const std::string& name : old_files_)
    fs::remove(fs::path(dir_) / (name == kCheckpoint ? kPreviousCheckpoint : name));
  fs::rename(fs::path(dir_) / "train.log.new", fs::path(dir_) / "train.log");
  old_files_.clear();
}

}  // namespace he::zoo
