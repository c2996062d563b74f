// PQ benchmarks (run by hand): the 8-bit ADC scan by query-group size, the 4-bit fast scan
// per instruction set and query-group size, and whole k-NN searches of the PQ indexes on
// random codes (1M codes, M=16, k=100). items/s = scanned (query, code) pairs or queries.
// Example: build/bin/bench_pq --benchmark_filter=Search
#include <benchmark/benchmark.h>

#include <limits>
#include <map>
#include <random>

#include "kernels/pq.h"
#include "retrieval/pq_index.h"

namespace kc = he::kernels::cpu;
using namespace he::retrieval;

namespace {

constexpr size_t kN = 1000000, kM = 16;

const std::vector<uint8_t>& codes(int nbits) {
  static std::vector<uint8_t> c8, c4;
  auto& c = nbits == 8 ? c8 : c4;
  if (c.empty()) {
    std::mt19937_64 rng(1);
    c.resize(kN * kM);
    for (auto& v : c) v = static_cast<uint8_t>(rng() >> (nbits == 8 ? 56 : 60));
  }
  return c;
}

void BM_Pq8AdcScan(benchmark::State& st) {
  const auto isa = static_cast<kc::PqIsa>(st.range(0));
  const size_t nq = st.range(1), blocks = kc::pq8_blocks(kN), step = 16;  // 1024 codes
  if (!kc::pq_isa_supported(isa)) return st.SkipWithError("ISA not supported");
  static std::vector<uint8_t> packed;
  if (packed.empty()) {
    packed.resize(blocks * kM * kc::kPq8Block);
    kc::pq8_pack(codes(8).data(), kN, kM, packed.data());
  }
  std::vector<float> luts(nq * kM * 256), out(nq * step * kc::kPq8Block);
  std::mt19937 rng(2);
  for (auto& v : luts) v = static_cast<float>(rng() % 1000);
  for (auto _ : st) {
    for (size_t b0 = 0; b0 < blocks; b0 += step)
      kc::pq8_adc_scan(luts.data(), nq, packed.data(), kM, b0, std::min(blocks, b0 + step),
                       out.data(), isa);
    benchmark::DoNotOptimize(out.data());
  }
  st.SetItemsProcessed(st.iterations() * kN * nq);
  st.SetLabel(kc::pq_isa_name(isa));
}
BENCHMARK(BM_Pq8AdcScan)
    ->ArgsProduct({{int(kc::PqIsa::Scalar), int(kc::PqIsa::Avx2), int(kc::PqIsa::Avx512)},
                   {1, 2, 4, 8}})
    ->Unit(benchmark::kMillisecond);

struct CountSink final : kc::PqSink {
  size_t calls = 0;
  void push(int, size_t, uint16_t) override { ++calls; }
};

void BM_Pq4Scan(benchmark::State& st) {
  const auto isa = static_cast<kc::PqIsa>(st.range(0));
  const size_t nq = st.range(1), mp = kc::pq4_padded_m(kM);
  if (!kc::pq_isa_supported(isa)) return st.SkipWithError("ISA not supported");
  static std::vector<uint8_t> packed;
  if (packed.empty()) {
    packed.resize(kc::pq4_blocks(kN) * mp * 16);
    kc::pq4_pack(codes(4).data(), kN, kM, packed.data());
  }
  std::vector<uint8_t> lut(nq * mp * 16);
  std::mt19937 rng(3);
  for (auto& v : lut) v = static_cast<uint8_t>(rng() % 256);
  CountSink sink;  // thresholds 0: the bare scan, nothing passes
  for (auto _ : st)
    kc::pq4_scan(lut.data(), nq, packed.data(), mp, 0, kc::pq4_blocks(kN), kN, sink, isa);
  st.SetItemsProcessed(st.iterations() * kN * nq);
  st.SetLabel(kc::pq_isa_name(isa));
}
BENCHMARK(BM_Pq4Scan)
    ->ArgsProduct({{int(kc::PqIsa::Scalar), int(kc::PqIsa::Avx2), int(kc::PqIsa::Avx512)},
                   {1, 2, 4}})
    ->Unit(benchmark::kMillisecond);

void BM_Pq8U8Scan(benchmark::State& st) {
  const auto isa = static_cast<kc::PqIsa>(st.range(0));
  const size_t nq = st.range(1);
  if (!kc::pq8_u8_supported(isa)) return st.SkipWithError("ISA not supported");
  static std::vector<uint8_t> packed;
  if (packed.empty()) {
    packed.resize(kc::pq8_blocks(kN) * kM * kc::kPq8Block);
    kc::pq8_pack(codes(8).data(), kN, kM, packed.data());
  }
  std::vector<uint8_t> lut(nq * kM * 256);
  std::mt19937 rng(6);
  for (auto& v : lut) v = static_cast<uint8_t>(rng() % 256);
  CountSink sink;  // thresholds 0: the bare scan, nothing passes
  for (auto _ : st)
    kc::pq8_u8_scan(lut.data(), nq, packed.data(), kM, 0, kc::pq8_blocks(kN), kN, sink, isa);
  st.SetItemsProcessed(st.iterations() * kN * nq);
  st.SetLabel(kc::pq_isa_name(isa));
}
BENCHMARK(BM_Pq8U8Scan)
    ->ArgsProduct({{int(kc::PqIsa::Scalar), int(kc::PqIsa::Avx512)}, {1, 2, 4}})
    ->Unit(benchmark::kMillisecond);

// Random centroids and codes: the search cost does not depend on how the codes were learnt.
const PqIndex& index(int nbits) {
  static std::map<int, PqIndex> m;
  auto it = m.find(nbits);
  if (it == m.end()) {
    ProductQuantizer pq;
    pq.d = 128, pq.m = kM, pq.nbits = nbits;
    pq.centroids.resize(pq.ksub() * pq.d);
    std::mt19937 rng(4);
    std::normal_distribution<float> g;
    for (auto& v : pq.centroids) v = g(rng);
    PqIndex ix(pq, {});
    ix.set_codes(codes(nbits));
    it = m.emplace(nbits, std::move(ix)).first;
  }
  return it->second;
}

void BM_PqSearch(benchmark::State& st) {
  const int nbits = static_cast<int>(st.range(0)), threads = static_cast<int>(st.range(1));
  const int64_t nq = 200;
  const PqIndex& ix = index(nbits);
  std::vector<float> q(nq * 128);
  std::mt19937 rng(5);
  std::normal_distribution<float> g;
  for (auto& v : q) v = g(rng);
  PqSearchOptions opt;
  opt.k = 100, opt.threads = threads;
  for (auto _ : st) benchmark::DoNotOptimize(ix.search(q.data(), nq, opt));
  st.SetItemsProcessed(st.iterations() * nq);
}
BENCHMARK(BM_PqSearch)->ArgsProduct({{8, 4}, {1, 2}})->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
BENCHMARK_MAIN();
