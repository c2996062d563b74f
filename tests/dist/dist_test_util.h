#pragma once
// Launching mpirun from a test: as root (CI's containers) OpenMPI needs
// --allow-run-as-root, and on a machine with fewer cores than ranks --oversubscribe.
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace he_test {

inline bool have_mpirun() { return std::system("command -v mpirun > /dev/null 2>&1") == 0; }

// "mpirun -np N ..." with the flags a root shell on a small machine needs. In sanitizer builds
// the ranks run without LeakSanitizer: OpenMPI never frees its start-up allocations (some in
// plugins it has unloaded, so no suppression can name them) and every rank would fail. Our
// code's leaks are still checked where the same tests run in one process.
inline std::string mpirun(int ranks) {
  const char* asan = std::getenv("ASAN_OPTIONS");
  std::string cmd = "ASAN_OPTIONS='" + std::string(asan ? asan : "") + ":detect_leaks=0' ";
  cmd += "mpirun -np " + std::to_string(ranks) + " --oversubscribe";
  if (geteuid() == 0) cmd += " --allow-run-as-root";
  return cmd;
}

}  // namespace he_test
