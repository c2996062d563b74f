#pragma once
// Runs a built binary for the command-line tests (fork + execv), its stdout and stderr
// together in one log file: the one way every CLI test starts a process.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace he::testing {

struct SpawnOptions {
  bool append = false;         // append to the log instead of truncating it
  rlim_t file_size_limit = 0;  // > 0: RLIMIT_FSIZE in bytes (a full disk), SIGXFSZ ignored
};

// Starts args[0] with `args`; returns its pid.
inline pid_t spawn(std::vector<std::string> args, const std::string& log,
                   const SpawnOptions& o = {}) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::FILE* f = std::freopen(log.c_str(), o.append ? "a" : "w", stdout);
    if (f) ::dup2(::fileno(stdout), 2);
    if (o.file_size_limit > 0) {
      std::signal(SIGXFSZ, SIG_IGN);
      rlimit r{o.file_size_limit, o.file_size_limit};
      ::setrlimit(RLIMIT_FSIZE, &r);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    std::_Exit(127);
  }
  return pid;
}

// The exit status, or 128 + the signal that ended the process.
inline int wait_exit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

inline std::string read_log(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

struct Exit {
  int status;
  std::string output;  // stdout and stderr
};

// Runs to the end: the exit status and the log's text.
inline Exit run_binary(std::vector<std::string> args, const std::string& log,
                       const SpawnOptions& o = {}) {
  const int status = wait_exit(spawn(std::move(args), log, o));
  return {status, read_log(log)};
}

}  // namespace he::testing
