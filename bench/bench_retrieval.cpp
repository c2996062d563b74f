// Retrieval benchmarks (run by hand): exhaustive Hamming k-NN, the bare distance
// computation, radius search, MIH vs exhaustive on clustered codes, mAP evaluation.
// items/s = queries/s. Example: build/bin/bench_retrieval --benchmark_filter=Knn
#include <benchmark/benchmark.h>

#include <map>
#include <random>
#include <tuple>

#include "retrieval/hamming_search.h"
#include "retrieval/metrics.h"
#include "retrieval/mih.h"

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

// n codes, each one of `centres` random centres (drawn from centre_seed) with 0..4 random
// bit flips.
PackedCodes clustered(size_t n, size_t centres, uint64_t seed, uint64_t centre_seed) {
  PackedCodes cen = random_codes(centres, 64, centre_seed);
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

// The same k-NN (64 bits, k = 100, 1 thread) on each instruction-set path this CPU runs.
void BM_KnnIsa(benchmark::State& st) {
  using he::kernels::cpu::HammingIsa;
  const auto isa = static_cast<HammingIsa>(st.range(0));
  if (!he::kernels::cpu::hamming_isa_supported(isa)) {
    st.SkipWithError("ISA not supported on this CPU");
    return;
  }
  st.SetLabel(he::kernels::cpu::hamming_isa_name(isa));
  const auto& db = db_random(64);
  const auto& q = q_random(64);
  for (auto _ : st) benchmark::DoNotOptimize(hamming_knn(db, q, 100, {1, isa}));
  st.SetItemsProcessed(st.iterations() * q.size());
}
BENCHMARK(BM_KnnIsa)
    ->ArgName("isa")
    ->Arg(int(he::kernels::cpu::HammingIsa::Scalar))
    ->Arg(int(he::kernels::cpu::HammingIsa::Popcnt))
    ->Arg(int(he::kernels::cpu::HammingIsa::Avx2))
    ->Arg(int(he::kernels::cpu::HammingIsa::Avx512))
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2)
    ->UseRealTime();

// 10M clustered 64-bit codes (1,000 centres, 0-4 flips), 1,000 queries drawn the same way.
struct ClusteredSet {
  PackedCodes db = clustered(10000000, 1000, 7, 1000);
  PackedCodes q = clustered(1000, 1000, 8, 1000);  // same centres
  MihIndex mih{db};
};
ClusteredSet& clustered_set() {
  static ClusteredSet s;
  return s;
}

void BM_Clustered10M_Exhaustive(benchmark::State& st) {
  auto& s = clustered_set();
  for (auto _ : st) benchmark::DoNotOptimize(hamming_knn(s.db, s.q, 10, {int(st.range(0))}));
  st.SetItemsProcessed(st.iterations() * s.q.size());
}
BENCHMARK(BM_Clustered10M_Exhaustive)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(2)
    ->UseRealTime();

void BM_Clustered10M_Mih(benchmark::State& st) {
  auto& s = clustered_set();
  KnnResult r;
  SearchStats stats;
  MihIndex mih(s.db, s.mih.substrings(), {int(st.range(0))});
  for (auto _ : st) r = mih.search(s.q, 10, &stats);
  KnnResult ref = hamming_knn(s.db, s.q, 10, {2});
  st.counters["identical"] = r.ids == ref.ids && r.dist == ref.dist;
  st.counters["m"] = s.mih.substrings();
  st.counters["fallback"] = static_cast<double>(stats.fallback);
  st.counters["cand/query"] = static_cast<double>(stats.visited) / s.q.size();
  st.SetItemsProcessed(st.iterations() * s.q.size());
}
BENCHMARK(BM_Clustered10M_Mih)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(0.5)
    ->UseRealTime();

// mAP evaluation at the protocol's scale: 10,000 queries x 60,000 codes x 64 bits, 10 classes.
void BM_EvalMap(benchmark::State& st) {
  PackedCodes db = random_codes(60000, 64, 1), q = random_codes(10000, 64, 2);
  std::vector<int64_t> dl(db.size()), ql(q.size());
  for (size_t i = 0; i < dl.size(); ++i) dl[i] = i % 10;
  for (size_t i = 0; i < ql.size(); ++i) ql[i] = (i * 3) % 10;
  Labels dbl = Labels::single(dl), qll = Labels::single(ql);
  for (auto _ : st)
    benchmark::DoNotOptimize(evaluate_hamming(db, dbl, q, qll, {1000, int(st.range(0))}));
  st.SetItemsProcessed(st.iterations() * q.size());
}
BENCHMARK(BM_EvalMap)
    ->ArgName("threads")
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->UseRealTime();

}  // namespace
BENCHMARK_MAIN();
