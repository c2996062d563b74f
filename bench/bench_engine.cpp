// Engine core kernels: matmul GFLOP/s, elementwise and reduction GB/s (CPU).
#include <benchmark/benchmark.h>

#include "engine/engine.h"

namespace {
using namespace he;

void BM_Matmul(benchmark::State& st) {
  const int64_t n = st.range(0);
  set_num_threads(static_cast<int>(st.range(1)));
  Generator g(1);
  Tensor a = Tensor::randn({n, n}, g), b = Tensor::randn({n, n}, g);
  for (auto _ : st) benchmark::DoNotOptimize(matmul(a, b).raw_data());
  st.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * n * n * n, benchmark::Counter::kIsIterationInvariantRate);
  st.counters["threads"] = static_cast<double>(st.range(1));
}
BENCHMARK(BM_Matmul)->Args({256, 2})->Args({1024, 1})->Args({1024, 2})->Unit(
    benchmark::kMillisecond);

void BM_Add(benchmark::State& st) {
  set_num_threads(2);
  Generator g(1);
  const int64_t n = st.range(0);
  Tensor a = Tensor::randn({n}, g), b = Tensor::randn({n}, g);
  for (auto _ : st) benchmark::DoNotOptimize(add(a, b).raw_data());
  st.counters["GB/s"] =
      benchmark::Counter(3.0 * 4 * n, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Add)->Arg(1 << 16)->Arg(1 << 22);

void BM_AddBroadcastRow(benchmark::State& st) {
  set_num_threads(2);
  Generator g(1);
  Tensor a = Tensor::randn({4096, 512}, g), b = Tensor::randn({512}, g);
  for (auto _ : st) benchmark::DoNotOptimize(add(a, b).raw_data());
  st.counters["GB/s"] =
      benchmark::Counter(2.0 * 4 * 4096 * 512, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_AddBroadcastRow);

void BM_Tanh(benchmark::State& st) {
  set_num_threads(2);
  Generator g(1);
  Tensor a = Tensor::randn({1 << 22}, g);
  for (auto _ : st) benchmark::DoNotOptimize(tanh(a).raw_data());
  st.counters["GB/s"] =
      benchmark::Counter(2.0 * 4 * (1 << 22), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Tanh);

void BM_SumRows(benchmark::State& st) {
  set_num_threads(2);
  Generator g(1);
  Tensor a = Tensor::randn({4096, 1024}, g);
  const int64_t dim = st.range(0);
  for (auto _ : st) benchmark::DoNotOptimize(sum(a, {dim}).raw_data());
  st.counters["GB/s"] =
      benchmark::Counter(4.0 * 4096 * 1024, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_SumRows)->Arg(0)->Arg(1);

void BM_Softmax(benchmark::State& st) {
  set_num_threads(2);
  Generator g(1);
  Tensor a = Tensor::randn({4096, 1000}, g);
  for (auto _ : st) benchmark::DoNotOptimize(softmax(a, 1).raw_data());
  st.counters["GB/s"] =
      benchmark::Counter(2.0 * 4 * 4096 * 1000, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Softmax);
}  // namespace

BENCHMARK_MAIN();
