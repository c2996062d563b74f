// main() of each zoo model binary; HE_MODEL (set by zoo/CMakeLists.txt) names the model.
#include "zoo/cli.h"

int main(int argc, char** argv) { return he::zoo::run_cli(HE_MODEL, argc, argv); }
