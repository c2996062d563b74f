#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan, no CUDA) in build-san, the tree that
# scripts/test-sanitize.sh uses too (scripts/san-configure.sh), writes their
# seed corpus and runs each target for SECONDS (default 30), one after another:
#   scripts/fuzz.sh [SECONDS] [TARGET...]      TARGET: safetensors npy idx cifar list index image
#                                            quant_index
# A finding stops the script (exit 1); the input is kept as build-san/artifacts/<target>-*.
# FUZZ_SEED=N fixes libFuzzer's seed and FUZZ_RUNS=N caps the executions per target. CI sets
# both, so its pass is reproducible: the same seed and a fresh corpus give the same inputs,
# and a run cut short by the time limit tries a prefix of what a developer verified here.
# Without them each run explores from a random seed (the way to hunt for new bugs).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(safetensors npy idx cifar list index image quant_index)
BUILD=${SAN_BUILD_DIR:-build-san}
scripts/san-configure.sh "$BUILD"
cmake --build "$BUILD" --target fuzz_all -j "${JOBS:-$(nproc)}"
corpus=$BUILD/corpus
"$BUILD/bin/make_seeds" "$corpus/seeds"
mkdir -p "$BUILD/artifacts"
extra=()
# -reload=0: re-reading the corpus folder every second makes the input order timing-dependent.
[ -z "${FUZZ_SEED:-}" ] || extra+=(-seed="$FUZZ_SEED" -reload=0)
[ -z "${FUZZ_RUNS:-}" ] || extra+=(-runs="$FUZZ_RUNS")
for t in "${targets[@]}"; do
  # A reproducible pass starts from the seeds alone, not from a corpus grown by earlier runs.
  [ -z "${FUZZ_SEED:-}" ] || rm -rf "${corpus:?}/$t"
  mkdir -p "$corpus/$t"
  echo "fuzz_$t: ${secs}s"
  # -rss_limit_mb also caps single allocations (a lying header must not get 2 GB).
  "$BUILD/bin/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 "${extra[@]}" \
    -print_final_stats=1 -artifact_prefix="$BUILD/artifacts/$t-" \
    "$corpus/$t" "$corpus/seeds/fuzz_$t" > "$BUILD/fuzz_$t.log" 2>&1 || {
    tail -n 60 "$BUILD/fuzz_$t.log"
    echo "fuzz_$t: FINDING (input in $BUILD/artifacts/)"
    exit 1
  }
  grep -E "^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)" "$BUILD/fuzz_$t.log" |
    tr "\n" " " || true
  echo
done
