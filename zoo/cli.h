#pragma once
// The command line shared by the zoo model binaries: `<model> train|eval|encode|search ...`.
#include <string>

namespace he::zoo {
// Parses argv for `model` and runs the subcommand; errors print as "<model>: error: ..."
// and give exit status 1.
int run_cli(const std::string& model, int argc, char** argv);
}  // namespace he::zoo
