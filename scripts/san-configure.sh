#!/usr/bin/env bash
# Configures the sanitizer tree that scripts/test-sanitize.sh and scripts/fuzz.sh share:
# clang, ASan + UBSan, libFuzzer instrumentation (ENGINE_FUZZ), no CUDA, no benchmarks.
#   scripts/san-configure.sh BUILD_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
CC=clang CXX=clang++ cmake -S . -B "$1" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DENGINE_CUDA=OFF \
  -DENGINE_SANITIZE=ON -DENGINE_FUZZ=ON -DENGINE_BENCH=OFF > /dev/null
