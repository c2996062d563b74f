#!/usr/bin/env bash
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer (clang, CPU only), in
# build-san: scripts/test-sanitize.sh [AREA...], AREA one of tests/<area> (engine data
# retrieval nn zoo dist); no AREA runs them all. Any sanitizer report fails the test that
# triggered it. The tree is configured with the libFuzzer instrumentation too, so
# scripts/fuzz.sh builds its targets from the same objects instead of compiling the engine
# a third time (see scripts/san-configure.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${SAN_BUILD_DIR:-build-san}
areas=("$@")
[ ${#areas[@]} -gt 0 ] || areas=(engine data retrieval nn zoo dist)
scripts/san-configure.sh "$BUILD"
targets=()
for a in "${areas[@]}"; do targets+=("test_$a"); done
cmake --build "$BUILD" -j "${JOBS:-$(nproc)}" --target "${targets[@]}"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Each test carries its area as a ctest label (tests/CMakeLists.txt).
labels=$(IFS='|'; echo "^(${areas[*]})\$")
ctest --test-dir "$BUILD" --output-on-failure -j "$(nproc)" --timeout 1800 -L "$labels"
