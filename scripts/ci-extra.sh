#!/usr/bin/env bash
# CI after scripts/test.sh: the engine, data, retrieval and layer tests under ASan + UBSan,
# the Python package's tests, then a short run of every fuzz target (FUZZ_SECONDS each,
# default 20) with a fixed seed and at most FUZZ_RUNS inputs, so the pass is reproducible (see
# scripts/fuzz.sh). The sanitizer tests and the fuzz targets share one clang tree (build-san).
# The zoo's and mpirun's tests are left out of the sanitizer pass: they train models for
# minutes each, which ASan makes several times slower, and CI must stay under 40 minutes;
# `scripts/test-sanitize.sh` with no argument runs them too. Installs clang's runtimes.
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=(clang libclang-rt-14-dev libomp-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
start=$(date +%s)
scripts/test-sanitize.sh engine data retrieval nn
echo "ci-extra: sanitizer tests done in $(($(date +%s) - start)) s"
scripts/test-python.sh
echo "ci-extra: python tests done in $(($(date +%s) - start)) s"
FUZZ_SEED=${FUZZ_SEED:-1} FUZZ_RUNS=${FUZZ_RUNS:-250000} scripts/fuzz.sh "${FUZZ_SECONDS:-20}"
echo "ci-extra: done in $(($(date +%s) - start)) s"
