#!/usr/bin/env bash
# CI after scripts/test.sh: the test suite under ASan + UBSan, then a short run of every
# fuzz target (FUZZ_SECONDS each, default 30) with a fixed seed and at most FUZZ_RUNS inputs, so
# the pass is reproducible (see scripts/fuzz.sh). Installs clang's sanitizer and fuzzer runtimes.
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
scripts/test-sanitize.sh
echo "ci-extra: sanitizer tests done in $(($(date +%s) - start)) s"
scripts/test-python.sh
FUZZ_SEED=${FUZZ_SEED:-1} FUZZ_RUNS=${FUZZ_RUNS:-250000} scripts/fuzz.sh "${FUZZ_SECONDS:-30}"
echo "ci-extra: done in $(($(date +%s) - start)) s"
