#pragma once
// The run folder's guards: one process at a time (an flock'ed lock file holding the
// holder's pid), and no run replaced by accident (a folder that holds a run is continued
// with --resume or replaced with --overwrite, never silently overwritten).
#include <string>
#include <vector>

namespace he::zoo {

// Holds an exclusive flock on <dir>/run.lock (created if missing; the pid is written into it)
// for its lifetime. Throws std::runtime_error naming the folder and the holder's pid when
// another process holds it.
class RunLock {
 public:
  explicit RunLock(const std::string& dir);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

// The files of a run (checkpoint, metrics, codes, labels, plots, log) present in `dir`.
std::vector<std::string> run_files_in(const std::string& dir);

// Throws std::runtime_error when `dir` holds a run and neither resume nor overwrite is set:
// the message names the folder and offers --resume and --overwrite.
void check_run_folder_free(const std::string& dir, bool resume, bool overwrite);

// --overwrite: the old run's files, removed once the new run's first checkpoint is written.
// The new run logs to train.log.new until then, so that a new run that fails early leaves
// the old run as it was.
class ReplacedRun {
 public:
  ReplacedRun(const std::string& dir, bool overwrite);
  // The log file of the new run.
  std::string log_path() const;
  // Called after every checkpoint: the first removes the old run and moves the new log into
  // place; later ones do nothing.
  void new_checkpoint_written();

 private:
  std::string dir_;
  std::vector<std::string> old_files_;
};

}  // namespace he::zoo
