#pragma once
// Runs the hashsearch binary (HE_HASHSEARCH_BIN, set by the build) with arguments, for the
// command-line tests: its exit status and its stdout and stderr together.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace he::retrieval::testing {

struct Exit {
  int status;
  std::string output;  // stdout and stderr
};

inline Exit hashsearch(std::vector<std::string> args, const std::string& dir) {
  const std::string out = dir + "/output.txt";
  args.insert(args.begin(), HE_HASHSEARCH_BIN);
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::FILE* f = std::freopen(out.c_str(), "w", stdout);
    if (f) ::dup2(::fileno(stdout), 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    std::_Exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::ifstream f(out);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
          std::string(std::istreambuf_iterator<char>(f), {})};
}

}  // namespace he::retrieval::testing
