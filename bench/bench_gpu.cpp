// GPU benchmarks (built with the CUDA backend; bench/gpu_check.sh runs them):
//   cuBLAS SGEMM at 4096^3 (FP32, and TF32 for reference) in TFLOP/s, and FP32 SGEMM as a
//   share of the device's FP32 peak (queried: SMs, compute capability, clock);
//   popcount k-NN over 100,000,000 codes of 64 bits in GB/s of codes scanned, next to the
//   device-to-device copy bandwidth of the same run (read + write traffic) and their ratio,
//   and one bare scan pass (the distance histogram; the k-NN makes three passes);
//   fused sign/pack in GB/s of traffic (h read, b written, packed bits written).
// Ends with a summary table computed from the measured wall times.
#include <benchmark/benchmark.h>

#include <cstdio>

#ifdef ENGINE_HAVE_CUDA
#include <map>
#include <string>
#include <vector>

#include "kernels/blas.h"
#include "kernels/hamming.h"
#include "kernels/hash.h"
#include "kernels/runtime.h"

namespace kc = he::kernels::cuda;

namespace {

// Device memory for one benchmark, freed at scope exit.
template <class T>
struct Device {
  T* p = nullptr;
  size_t n = 0;
  explicit Device(size_t count) : n(count) {
    p = static_cast<T*>(kc::raw_malloc(n * sizeof(T), 0));
  }
  ~Device() { kc::raw_free(p, 0); }
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;
  void upload(const std::vector<T>& v) { kc::copy_h2d(p, v.data(), v.size() * sizeof(T), 0); }
};

uint64_t splitmix(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void BM_Sgemm(benchmark::State& state) {
  const int64_t N = 4096;
  const bool tf32 = state.range(0) != 0;
  std::vector<float> h(N * N);
  uint64_t s = 1;
  for (auto& v : h) v = static_cast<float>(splitmix(s) % 2001) / 1000.f - 1.f;
  Device<float> a(N * N), b(N * N), c(N * N);
  a.upload(h);
  b.upload(h);
  kc::set_allow_tf32(tf32);
  kc::gemm(false, false, N, N, N, 1.f, a.p, N, b.p, N, 0.f, c.p, N);  // warm-up
  kc::synchronize(0);
  for (auto _ : state) {
    kc::gemm(false, false, N, N, N, 1.f, a.p, N, b.p, N, 0.f, c.p, N);
    kc::synchronize(0);
  }
  kc::set_allow_tf32(false);
  state.SetLabel(tf32 ? "TFLOP/s in the table (TF32)" : "TFLOP/s in the table (FP32)");
}
BENCHMARK(BM_Sgemm)->Arg(0)->Arg(1)->Iterations(20)->UseRealTime()->Unit(benchmark::kMillisecond);

constexpr size_t kCodes = 100000000;  // 64-bit codes: 800 MB

void BM_CopyD2D(benchmark::State& state) {
  Device<uint64_t> src(kCodes), dst(kCodes);
  kc::copy_d2d(dst.p, src.p, kCodes * 8, 0);  // warm-up
  kc::synchronize(0);
  for (auto _ : state) {
    kc::copy_d2d(dst.p, src.p, kCodes * 8, 0);
    kc::synchronize(0);
  }
  state.SetLabel("GB/s of read + write traffic in the table");
}
BENCHMARK(BM_CopyD2D)->Iterations(20)->UseRealTime()->Unit(benchmark::kMillisecond);

// kCodes random 64-bit codes on the device and nq queries taken from them.
struct ScanData {
  Device<uint64_t> db{kCodes}, q;
  he::kernels::cpu::HammingArgs args;
  explicit ScanData(size_t nq) : q(nq) {
    std::vector<uint64_t> h(kCodes);
    uint64_t s = 7;
    for (auto& v : h) v = splitmix(s);
    db.upload(h);
    q.upload(std::vector<uint64_t>(h.begin(), h.begin() + nq));
    args.queries = q.p;
    args.nq = nq;
    args.db = db.p;
    args.n = kCodes;
    args.words = 1;
    args.bits = 64;
  }
};

void BM_HammingKnn(benchmark::State& state) {
  const size_t nq = static_cast<size_t>(state.range(0)), k = 100;
  ScanData data(nq);
  Device<int64_t> ids(nq * k);
  Device<int32_t> dist(nq * k);
  kc::hamming_knn(data.args, k, ids.p, dist.p);  // warm-up (workspace, context)
  for (auto _ : state) kc::hamming_knn(data.args, k, ids.p, dist.p);  // returns when written
  state.SetLabel("GB/s of codes scanned in the table, k=100");
}

// One pass over the codes (the k-NN makes three): the per-query distance histogram.
void BM_HammingHistogram(benchmark::State& state) {
  const size_t nq = static_cast<size_t>(state.range(0));
  ScanData data(nq);
  Device<uint32_t> hist(nq * 65);
  kc::hamming_histogram(data.args, hist.p);
  for (auto _ : state) kc::hamming_histogram(data.args, hist.p);  // returns when written
  state.SetLabel("GB/s of codes scanned in the table");
}
BENCHMARK(BM_HammingHistogram)
    ->Arg(8)
    ->Iterations(10)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

BENCHMARK(BM_HammingKnn)
    ->Arg(1)
    ->Arg(8)
    ->Iterations(10)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

constexpr int64_t kSignRows = int64_t{1} << 22, kSignBits = 64;
constexpr double kSignPackBytes = 2.0 * kSignRows * kSignBits * sizeof(float) + 8.0 * kSignRows;

void BM_SignPack(benchmark::State& state) {
  const int64_t n = kSignRows, bits = kSignBits;
  std::vector<float> h(n * bits);
  uint64_t s = 3;
  for (auto& v : h) v = static_cast<float>(static_cast<int64_t>(splitmix(s) % 2001) - 1000) / 500.f;
  Device<float> dh(n * bits), db(n * bits);
  Device<uint64_t> packed(n);
  dh.upload(h);
  double err = kc::sign_pack(dh.p, db.p, packed.p, n, bits);                // warm-up
  for (auto _ : state) err = kc::sign_pack(dh.p, db.p, packed.p, n, bits);  // synchronous
  benchmark::DoNotOptimize(err);
  state.SetLabel("GB/s of traffic in the table (h in, b and bits out)");
}
BENCHMARK(BM_SignPack)->Iterations(20)->UseRealTime()->Unit(benchmark::kMillisecond);

// Console output as usual, and the seconds per iteration of each run kept for the table.
class TableReporter : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, double> seconds;
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs)
      if (!r.error_occurred && r.iterations > 0)
        seconds[r.benchmark_name()] = r.real_accumulated_time / static_cast<double>(r.iterations);
  }
};

// work / seconds per iteration / unit for the first run whose name starts with `prefix`
// (0 when it did not run, e.g. filtered out).
double rate(const TableReporter& rep, const std::string& prefix, double work, double unit) {
  for (const auto& [name, s] : rep.seconds)
    if (name.rfind(prefix, 0) == 0 && s > 0) return work / s / unit;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (kc::device_count() == 0) {
    std::printf("bench_gpu: no CUDA device, nothing to run\n");
    return 0;
  }
  std::printf("bench_gpu on %s\n", kc::device_name(0).c_str());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  TableReporter rep;
  benchmark::RunSpecifiedBenchmarks(&rep);
  const double copy = rate(rep, "BM_CopyD2D", 2.0 * kCodes * 8, 1e9);  // read + write
  const double gemm = 2.0 * 4096 * 4096 * 4096, scan = 8.0 * kCodes;
  std::printf("\n%-44s %12s\n", "summary", "value");
  const double peak = kc::fp32_peak_flops(0) / 1e12, sgemm = rate(rep, "BM_Sgemm/0", gemm, 1e12);
  std::printf("%-44s %9.1f TFLOP/s\n", "FP32 peak (SMs x lanes x 2 x max clock)", peak);
  std::printf("%-44s %9.1f TFLOP/s  (%.0f%% of FP32 peak)\n", "cuBLAS SGEMM 4096^3, FP32", sgemm,
              peak > 0 ? 100 * sgemm / peak : 0.0);
  std::printf("%-44s %9.1f TFLOP/s\n", "cuBLAS SGEMM 4096^3, TF32 allowed",
              rate(rep, "BM_Sgemm/1", gemm, 1e12));
  std::printf("%-44s %9.1f GB/s\n", "device-to-device copy (read + write)", copy);
  for (const char* nq : {"1", "8"}) {
    const double knn = rate(rep, std::string("BM_HammingKnn/") + nq + "/", scan, 1e9);
    std::printf("%-44s %9.1f GB/s  (%.2f x copy)\n",
                (std::string("k-NN 1e8 x 64-bit codes, ") + nq + " queries, k=100").c_str(), knn,
                copy > 0 ? knn / copy : 0.0);
  }
  const double hist = rate(rep, "BM_HammingHistogram/8/", scan, 1e9);
  std::printf("%-44s %9.1f GB/s  (%.2f x copy)\n", "one scan pass (histogram), 8 queries", hist,
              copy > 0 ? hist / copy : 0.0);
  std::printf("%-44s %9.1f GB/s\n", "sign/pack 4M x 64 f32 (traffic)",
              rate(rep, "BM_SignPack", kSignPackBytes, 1e9));
  benchmark::Shutdown();
  return 0;
}

#else

int main() {
  std::printf("bench_gpu: built without CUDA (configure with -DENGINE_CUDA=ON)\n");
  return 0;
}

#endif
