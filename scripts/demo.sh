#!/usr/bin/env bash
# The main job on a fresh machine: set up, build, then run the engine's example program.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
BUILD=${BUILD_DIR:-build}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DENGINE_CUDA=${ENGINE_CUDA:-AUTO}
cmake --build "$BUILD" -j "$(nproc)" --target mlp_example
"$BUILD"/bin/mlp_example
