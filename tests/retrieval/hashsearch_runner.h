#pragma once
// Runs the hashsearch binary (HE_HASHSEARCH_BIN, set by the build) with arguments, for the
// command-line tests: its exit status and its stdout and stderr together.
#include <string>
#include <vector>

#include "run_binary.h"

namespace he::retrieval::testing {

using he::testing::Exit;

inline Exit hashsearch(std::vector<std::string> args, const std::string& dir) {
  args.insert(args.begin(), HE_HASHSEARCH_BIN);
  return he::testing::run_binary(std::move(args), dir + "/output.txt");
}

}  // namespace he::retrieval::testing
