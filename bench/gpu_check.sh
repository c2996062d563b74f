#!/usr/bin/env bash
# One-shot check of the CUDA backend on a GPU machine: configure and build (Release,
# ENGINE_CUDA=ON, -j16), run every test with the GPU present (the CUDA tests must run, not
# skip), run bench_gpu and print its table. Stays within a time budget (default 450 s of the
# 8 minutes an H200 run may take) and says where it stopped if the budget runs out.
#   bench/gpu_check.sh [build-dir]      (GPU_CHECK_BUDGET_S=<seconds> to change the budget)
set -uo pipefail
start=$(date +%s)
budget=${GPU_CHECK_BUDGET_S:-450}
cd "$(dirname "$0")/.."
build=${1:-build-gpu}
mkdir -p "$build"
logs="$build/gpu_check"  # logs live in the (ignored) build folder
elapsed() { echo $(($(date +%s) - start)); }
left() { echo $((budget - $(elapsed))); }
step() { echo; echo "== [$(elapsed)s] $*"; }
need() {  # need <seconds> <what>: stop cleanly when the budget cannot cover the next step
  if [ "$(left)" -lt "$1" ]; then
    echo "gpu_check: stopping before $2: $(elapsed)s used of ${budget}s"; exit 3
  fi
}
status=0

step "device"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true

step "configure + build (Release, ENGINE_CUDA=ON, -j16)"
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DENGINE_CUDA=ON > "$logs.configure.log" 2>&1 \
  || { tail -30 "$logs.configure.log"; echo "gpu_check: configure failed"; exit 1; }
timeout "$(left)" cmake --build "$build" -j16 > "$logs.build.log" 2>&1 \
  || { grep -E "error|Error" "$logs.build.log" | head -40; echo "gpu_check: build failed or timed out"; exit 1; }
grep -c "warning" "$logs.build.log" | xargs -I{} echo "build warnings: {}"

step "CUDA tests (must run, not skip)"
need 30 "the CUDA tests"
cuda_log="$logs.cuda_tests.log"
# Every device comparison: the kernel tests (Cuda*), the op table on CUDA (AllOps/OpOnCuda*),
# the dispatch tests, the optimisers on both devices and the binary index on a GPU.
cuda_filter='Cuda*:*OpOnCuda*:Dispatch.*'
timeout "$(left)" "$build/bin/test_engine" --gtest_filter="$cuda_filter" > "$cuda_log" 2>&1
rc=$?
timeout "$(left)" "$build/bin/test_nn" --gtest_filter='*OnCuda*:*Devices*' >> "$cuda_log" 2>&1
rc=$((rc | $?))
timeout "$(left)" "$build/bin/test_retrieval" --gtest_filter='*Cuda*' >> "$cuda_log" 2>&1
rc=$((rc | $?))
grep -E "^\[ *(seed|  FAILED|  PASSED|  SKIPPED) " "$cuda_log" | head -60
if [ $rc -ne 0 ]; then echo "gpu_check: CUDA tests FAILED (rc=$rc), see $cuda_log"; status=1; fi
if grep -q "SKIPPED" "$cuda_log"; then echo "gpu_check: CUDA tests were SKIPPED on a GPU machine"; status=1; fi

step "all tests (ctest -j8)"
need 160 "ctest"
# Leaves 100 s for the benchmarks.
timeout "$(($(left) - 100))" ctest --test-dir "$build" -j8 --timeout 240 > "$logs.ctest.log" 2>&1
rc=$?
tail -15 "$logs.ctest.log"
if [ $rc -ne 0 ]; then echo "gpu_check: ctest failed or timed out (rc=$rc), see $logs.ctest.log"; status=1; fi

step "GPU benchmarks"
need 60 "bench_gpu"
timeout "$(left)" "$build/bin/bench_gpu" || { echo "gpu_check: bench_gpu failed or timed out"; status=1; }

step "done in $(elapsed)s (budget ${budget}s), status $status"
exit $status
