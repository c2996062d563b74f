// Retrieval benchmarks (run by hand): exhaustive Hamming k-NN, the bare distance
// computation, radius search, MIH vs exhaustive on clustered codes, mAP evaluation.
// items/s = queries/s. Example: build/bin/bench_retrieval --benchmark_filter=Knn
#include <benchmark/benchmark.h>

#include <map>
#include <random>
#include <tuple>

#include "retrieval/hamming_search.h"

using namespace he::retrieval;

namespace {

PackedCodes random_codes(size_t n, int bits, uint64_t seed) {
  PackedCodes c(n, bits);
  std::mt19937_64 rng(seed);
  uint64_t* w = c.mutable_data();
  const size_t W = c.words_per_code();
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < W; ++j) {
      int left = bits - static_cast<int>(64 * j);
      w[i * W + j] = left >= 64 ? rng() : rng() & ((uint64_t{1} << left) - 1);
    }
  return c;
}

// n codes, each one of `centres` random centres with 0..4 random bit flips.
PackedCodes clustered(size_t n, size_t centres, uint64_t seed) {
  PackedCodes cen = random_codes(centres, 64, seed + 1000);
  PackedCodes c(n, 64);
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i < n; ++i) {
    uint64_t v = cen.row(rng() % centres)[0];
    int flips = static_cast<int>(rng() % 5);
    for (int f = 0; f < flips; ++f) v ^= uint64_t{1} << (rng() % 64);
    c.mutable_data()[i] = v;
  }
  return c;
}

// Cached data sets (generating 10M codes takes a moment).
const PackedCodes& db_random(int bits) {
  static std::map<int, PackedCodes> m;
  auto it = m.find(bits);
  if (it == m.end()) it = m.emplace(bits, random_codes(1000000, bits, 42)).first;
  return it->second;
}
const PackedCodes& q_random(int bits) {
  static std::map<int, PackedCodes> m;
  auto it = m.find(bits);
  if (it == m.end()) it = m.emplace(bits, random_codes(1000, bits, 43)).first;
  return it->second;
}

void BM_Knn(benchmark::State& st) {
  const int bits = st.range(0), k = st.range(1), threads = st.range(2);
  const auto& db = db_random(bits);
  const auto& q = q_random(bits);
  for (auto _ : st) benchmark::DoNotOptimize(hamming_knn(db, q, k, {threads}));
  st.SetItemsProcessed(st.iterations() * q.size());
}
BENCHMARK(BM_Knn)
    ->ArgNames({"bits", "k", "threads"})
    ->ArgsProduct({{32, 64, 128}, {10, 100, 1000}, {1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->MinTime(0.5)
    ->UseRealTime();

void BM_BareDistance(benchmark::State& st) {
  const int bits = st.range(0), threads = st.range(1);
  const auto& db = db_random(bits);
  const auto& q = q_random(bits);
  for (auto _ : st) benchmark::DoNotOptimize(hamming_distance_sum(db, q, {threads}));
  st.SetItemsProcessed(st.iterations() * q.size());
}
BENCHMARK(BM_BareDistance)
    ->ArgNames({"bits", "threads"})
    ->ArgsProduct({{32, 64, 128}, {1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->MinTime(0.5)
    ->UseRealTime();

void BM_Radius(benchmark::State& st) {
  const int bits = st.range(0), r = st.range(1);
  const auto& db = db_random(bits);
  const auto& q = q_random(bits);
  size_t hits = 0;
  for (auto _ : st) hits = hamming_radius(db, q, r, {2}).ids.size();
  st.counters["hits/query"] = static_cast<double>(hits) / q.size();
  st.SetItemsProcessed(st.iterations() * q.size());
}
BENCHMARK(BM_Radius)
    ->ArgNames({"bits", "r"})
    ->Args({64, 12})
    ->Args({64, 16})
    ->Args({128, 40})
    ->Unit(benchmark::kMillisecond)
    ->MinTime(0.5)
    ->UseRealTime();

}  // namespace
BENCHMARK_MAIN();
