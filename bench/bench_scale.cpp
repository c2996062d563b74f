// Hamming search at database scale (run by hand; prints a table, not Google Benchmark):
// the flat scan and MIH over 10M-100M codes read from a memory-mapped index file, with the
// memory bandwidth of a plain stream read over the same mapping for reference.
//
//   bench_scale --n 100000000 --file /tmp/db100m.idx                      (random codes)
//   bench_scale --n 10000000 --base runs/itq-64/db_codes.npy
//               --queries runs/itq-64/query_codes.npy --flip 0.03 --file /tmp/itq10m.idx
//
// With --base, row i of the database is base code i % nbase with each bit flipped with
// probability --flip (seeded), the construction of the issue that set the MIH targets.
// Queries: the first --nq rows of --queries, else random codes. The file is written once
// (atomically) and reused when it exists with the same n and bits.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/hamming.h"
#include "retrieval/index.h"
#include "retrieval/index_file.h"
#include "retrieval/mih.h"
#include "retrieval/npy.h"

using namespace he::retrieval;

namespace {

struct Args {
  size_t n = 10000000, nq = 1000, k = 100, mih_k = 10;
  int threads = 2, repeats = 3;
  double flip = 0.03;
  std::string base, queries, file = "/tmp/bench_scale.idx";
  bool mih = true, scan = true;         // --no-mih, --mih-only
  int mih_m = 0;                        // 0 = the default for the data
  std::vector<double> budgets = {0.1};  // MihIndex::set_budget_fraction values to run
};

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// CPU seconds of the whole process (all threads): less sensitive than the wall clock to
// other processes sharing the cores.
double cpu_now() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

struct Timing {
  double wall = 0, cpu = 0;  // medians over the repeats
};

uint64_t splitmix(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Row i: base row (i % nbase) with each bit flipped with probability p (geometric gaps
// between flips), or a random code when base is empty. Deterministic per row block.
PackedCodes make_database(size_t n, int bits, const PackedCodes& base, double p) {
  PackedCodes db(n, bits);
  const size_t W = db.words_per_code();
  uint64_t* out = db.mutable_data();
  const size_t block = 1 << 16;
#pragma omp parallel for schedule(dynamic, 1)
  for (size_t b0 = 0; b0 < n; b0 += block) {
    uint64_t s = 0x5eed0000ull + b0;
    const double log1mp = p > 0 ? std::log1p(-p) : 0;
    for (size_t i = b0; i < std::min(n, b0 + block); ++i) {
      uint64_t* row = out + i * W;
      if (base.size() == 0) {
        for (size_t w = 0; w < W; ++w) row[w] = splitmix(s);
        if (bits % 64) row[W - 1] &= (uint64_t{1} << (bits % 64)) - 1;
        continue;
      }
      std::copy_n(base.row(i % base.size()), W, row);
      if (p <= 0) continue;
      for (double pos = -1;;) {  // next flipped bit: pos + 1 + Geometric(p)
        const double u = (static_cast<double>(splitmix(s) >> 11) + 0.5) * 0x1p-53;
        pos += 1 + std::floor(std::log(u) / log1mp);
        if (pos >= bits) break;
        const int j = static_cast<int>(pos);
        row[j / 64] ^= uint64_t{1} << (j % 64);
      }
    }
  }
  return db;
}

PackedCodes random_queries(size_t nq, int bits) {
  return make_database(nq, bits, PackedCodes(0, bits), 0).slice(0, nq);
}

// A plain parallel read (sum of 64-bit words) over `bytes` at p, best of 5: GB per wall
// second and GB per CPU second (the second holds up when other processes share the cores).
struct Bandwidth {
  double wall = 0, cpu = 0;
};
Bandwidth stream_read(const uint64_t* p, size_t bytes, int threads, uint64_t& sink) {
  const size_t words = bytes / 8;
  Bandwidth best;
  for (int rep = 0; rep < 5; ++rep) {
    const double t0 = now(), c0 = cpu_now();
    uint64_t total = 0;
#pragma omp parallel for num_threads(threads) reduction(+ : total) schedule(static)
    for (size_t i = 0; i < words; ++i) total += p[i];
    best.wall = std::max(best.wall, bytes / (now() - t0) / 1e9);
    best.cpu = std::max(best.cpu, bytes / (cpu_now() - c0) / 1e9);
    sink += total;
  }
  return best;
}

template <class F>
Timing median_time(int repeats, F&& f) {
  std::vector<double> wall, cpu;
  for (int i = 0; i < repeats; ++i) {
    const double t0 = now(), c0 = cpu_now();
    f();
    wall.push_back(now() - t0);
    cpu.push_back(cpu_now() - c0);
  }
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  return {wall[wall.size() / 2], cpu[cpu.size() / 2]};
}

std::vector<double> parse_list(const std::string& v) {
  std::vector<double> out;
  for (size_t p = 0; p < v.size();) {
    const size_t e = std::min(v.find(',', p), v.size());
    out.push_back(std::stod(v.substr(p, e - p)));
    p = e + 1;
  }
  return out;
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string o = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(o + ": missing value");
      return argv[++i];
    };
    if (o == "--n")
      a.n = std::stoull(val());
    else if (o == "--nq")
      a.nq = std::stoull(val());
    else if (o == "--k")
      a.k = std::stoull(val());
    else if (o == "--mih-k")
      a.mih_k = std::stoull(val());
    else if (o == "--mih-m")
      a.mih_m = std::stoi(val());
    else if (o == "--budgets")
      a.budgets = parse_list(val());
    else if (o == "--threads")
      a.threads = std::stoi(val());
    else if (o == "--repeats")
      a.repeats = std::stoi(val());
    else if (o == "--flip")
      a.flip = std::stod(val());
    else if (o == "--base")
      a.base = val();
    else if (o == "--queries")
      a.queries = val();
    else if (o == "--file")
      a.file = val();
    else if (o == "--no-mih")
      a.mih = false;
    else if (o == "--mih-only")
      a.scan = false;
    else
      throw std::invalid_argument("unknown option " + o);
  }
  return a;
}

// The database file, written when missing or stale; returns the seconds spent making it.
double ensure_file(const Args& a, int bits, const PackedCodes& base) {
  if (std::filesystem::exists(a.file)) {
    IndexContents c = load_index(a.file, true, false);
    if (c.codes.size() == a.n && c.codes.bits() == bits) return 0;
  }
  const double t0 = now();
  IndexContents c;
  c.codes = make_database(a.n, bits, base, a.flip);
  save_index(a.file, c);
  return now() - t0;
}

// The scan at k over `qs`: times, and the database bytes streamed per second against the
// stream read (the scan reads the database once per tile of kHammingTileQueries queries).
void scan_row(const Args& a, const BinaryIndex& flat, const PackedCodes& qs, size_t k,
              const Bandwidth& bw) {
  const PackedCodes db = flat.codes();
  const double db_bytes = static_cast<double>(db.size() * db.words_per_code() * 8);
  KnnResult r;
  const Timing t = median_time(a.repeats, [&] { r = flat.search(qs, k); });
  const double passes =
      std::ceil(static_cast<double>(qs.size()) / he::kernels::cpu::kHammingTileQueries);
  const double gbs = passes * db_bytes / t.wall / 1e9, gb_cpu = passes * db_bytes / t.cpu / 1e9;
  std::printf(
      "| flat scan | %zu | %zu | %.4f | %.4f | %.0f | %.0f | %.2f / %.2f | %.0f%% / %.0f%% |\n",
      qs.size(), k, t.wall, t.cpu, qs.size() / t.wall, passes, gbs, gb_cpu, 100 * gbs / bw.wall,
      100 * gb_cpu / bw.cpu);
}

// MIH against the scan at k = mih_k, for each budget fraction: wall and CPU time, how the
// queries were answered, and whether the answers are the scan's.
void run_mih(const Args& a, const BinaryIndex& flat, const PackedCodes& q) {
  const double tb = now();
  MihIndex mih(flat.codes(), a.mih_m, {a.threads});
  const double build_s = now() - tb;
  KnnResult want, got;
  const Timing ts = median_time(a.repeats, [&] { want = flat.search(q, a.mih_k); });
  std::printf("\n# MIH m=%d, built in %.1f s; k=%zu\n", mih.substrings(), build_s, a.mih_k);
  std::printf(
      "| search | wall (ms) | CPU (ms) | queries/s | faster than the scan (wall / CPU) | "
      "by tables / by scan | buckets/query | entries/query | identical |\n"
      "|---|---|---|---|---|---|---|---|---|\n");
  std::printf("| flat scan | %.1f | %.1f | %.0f | 1.00x / 1.00x | - | - | - | - |\n", 1e3 * ts.wall,
              1e3 * ts.cpu, q.size() / ts.wall);
  for (double b : a.budgets) {
    mih.set_budget_fraction(b);
    SearchStats st;
    const Timing tm = median_time(a.repeats, [&] { got = mih.search(q, a.mih_k, &st); });
    std::printf(
        "| MIH budget %g | %.1f | %.1f | %.0f | %.2fx / %.2fx | %zu / %zu | %.0f | %.0f | %s |\n",
        b, 1e3 * tm.wall, 1e3 * tm.cpu, q.size() / tm.wall, ts.wall / tm.wall, ts.cpu / tm.cpu,
        st.probed, st.fallback, static_cast<double>(st.buckets) / q.size(),
        static_cast<double>(st.visited - st.fallback * mih.size()) / q.size(),
        got.ids == want.ids && got.dist == want.dist ? "yes" : "NO");
  }
}

void run(const Args& a) {
  const PackedCodes base =
      a.base.empty() ? PackedCodes() : codes_from_npy(read_npy(a.base), a.base);
  const int bits = a.base.empty() ? 64 : base.bits();
  const double made = ensure_file(a, bits, base);
  const double t0 = now();
  auto flat = read_binary_index(a.file, {"cpu", a.threads});  // mmap + CRC check
  const double load_s = now() - t0;
  const PackedCodes db = flat->codes();
  PackedCodes q = a.queries.empty() ? random_queries(a.nq, bits)
                                    : codes_from_npy(read_npy(a.queries), a.queries, bits);
  if (q.size() > a.nq) q = q.slice(0, a.nq);
  const size_t db_bytes = db.size() * db.words_per_code() * 8;
  uint64_t sink = 0;
  const Bandwidth bw = stream_read(db.data(), db_bytes, a.threads, sink);
  bool view = false;  // a read-only view on the mapping, not a copy
  try {
    PackedCodes(db).mutable_data();
  } catch (const std::logic_error&) {
    view = true;
  }
  std::printf(
      "# %zu x %d-bit codes (%s), %zu queries, %d threads, isa %s\n", db.size(), bits,
      a.base.empty() ? "random" : ("from " + a.base + ", flip " + std::to_string(a.flip)).c_str(),
      q.size(), a.threads,
      he::kernels::cpu::hamming_isa_name(he::kernels::cpu::hamming_best_isa()));
  std::printf("# file %s: %.0f MB, made in %.1f s, mapped + CRC-checked in %.3f s (%s)\n",
              a.file.c_str(), db_bytes / 1e6, made, load_s,
              view ? "codes: a view on the mapping" : "codes: COPIED");
  std::printf(
      "# stream read over the mapped codes, %d threads: %.2f GB per wall s, %.2f GB per "
      "CPU s\n\n",
      a.threads, bw.wall, bw.cpu);
  std::printf(
      "| search | queries | k | wall (s) | CPU (s) | queries/s | DB passes | GB streamed per "
      "wall s / CPU s | of the stream read (wall / CPU) "
      "|\n|---|---|---|---|---|---|---|---|---|\n");
  if (a.scan) {
    scan_row(a, *flat, q, a.k, bw);
    for (size_t few : {he::kernels::cpu::kHammingTileQueries, size_t{8}})  // one pass each
      if (few < q.size()) scan_row(a, *flat, q.slice(0, few), a.k, bw);
  }
  if (a.mih) run_mih(a, *flat, q);
  if (sink == 42) std::printf(" ");  // keeps the stream read from being optimised away
}

}  // namespace

int main(int argc, char** argv) {
  try {
    run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_scale: %s\n", e.what());
    return 1;
  }
  return 0;
}
