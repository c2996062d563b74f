#!/usr/bin/env bash
# Sets up a fresh machine, builds everything (the CUDA backend too when nvcc is present) and
# runs every test. GPU tests skip themselves when no device is present. MPI is required
# (ENGINE_MPI=ON), so the tests under mpirun (tests/dist) run rather than skip.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
BUILD=${BUILD_DIR:-build}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DENGINE_CUDA=${ENGINE_CUDA:-AUTO} \
  -DENGINE_MPI=${ENGINE_MPI:-ON}
cmake --build "$BUILD" -j "$(nproc)"
ctest --test-dir "$BUILD" --output-on-failure -j "$(nproc)"
