// Drivers for the Hamming kernels: argument checks, run-time ISA choice, query tiling,
// OpenMP, and the final counting sort. The per-ISA loops are in hamming_{avx512,popcnt,
// scalar}.cpp; the selection logic in hamming_select.cpp.
#include "kernels/hamming.h"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "kernels/cpu/hamming_internal.h"

namespace he::kernels::cpu {

using detail::GroupSink;
using detail::IsaKernels;
using detail::kGroup;
using detail::kIdBits;
using detail::kIdMask;
using detail::QueryCandidates;

namespace {

constexpr size_t kTileQueries = kHammingTileQueries;

size_t block_codes(size_t words) { return std::max<size_t>(1024, 16384 / words); }

const IsaKernels& kernels_for(HammingIsa isa) {
  if (isa == HammingIsa::Auto) isa = hamming_best_isa();
  if (!hamming_isa_supported(isa))
    throw std::invalid_argument(std::string("hamming: ISA ") + hamming_isa_name(isa) +
                                " is not supported by this CPU");
  switch (isa) {
    case HammingIsa::Avx512:
      return detail::avx512_kernels();
    case HammingIsa::Avx2:
      return detail::avx2_kernels();
    case HammingIsa::Popcnt:
      return detail::popcnt_kernels();
    default:
      return detail::scalar_kernels();
  }
}

void check_args(const HammingArgs& a, const char* op) {
  auto fail = [&](const std::string& what) {
    throw std::invalid_argument(std::string(op) + ": " + what + " (nq=" + std::to_string(a.nq) +
                                ", n=" + std::to_string(a.n) + ", words=" +
                                std::to_string(a.words) + ", bits=" + std::to_string(a.bits) + ")");
  };
  if (a.words == 0 || a.bits <= 0 || static_cast<size_t>(a.bits) > 64 * a.words ||
      static_cast<size_t>(a.bits) <= 64 * (a.words - 1))
    fail("bits must satisfy 64*(words-1) < bits <= 64*words");
  if (a.n >= (uint64_t{1} << kIdBits)) fail("database too large");
  if ((a.nq && !a.queries) || (a.n && !a.db)) fail("null pointer");
}

int thread_count(const HammingArgs& a) { return a.threads > 0 ? a.threads : omp_get_max_threads(); }

// Scans db codes [lo, hi) for queries [q0, q1) into cands[0 .. q1-q0), one pass over each
// database block per tile of queries.
void scan_tile(const IsaKernels& K, const HammingArgs& a, size_t q0, size_t q1, size_t lo,
               size_t hi, QueryCandidates* cands) {
  const size_t W = a.words;
  const size_t ngroups = (q1 - q0 + kGroup - 1) / kGroup;
  std::vector<uint64_t> q8(ngroups * kGroup * W);
  std::vector<GroupSink> sinks(ngroups);
  for (size_t gi = 0; gi < ngroups; ++gi)
    for (int g = 0; g < kGroup; ++g) {
      size_t q = std::min(q0 + gi * kGroup + g, q1 - 1);  // pad with the last query
      std::memcpy(&q8[(gi * kGroup + g) * W], a.queries + q * W, W * sizeof(uint64_t));
      if (q0 + gi * kGroup + g < q1) sinks[gi].q[g] = &cands[gi * kGroup + g];
    }
  const size_t B = block_codes(W);
  for (size_t b = lo; b < hi; b += B) {
    size_t e = std::min(hi, b + B);
    for (size_t gi = 0; gi < ngroups; ++gi) {
      sinks[gi].refresh();
      K.scan(&q8[gi * kGroup * W], a.db, b, e, W, sinks[gi]);
    }
  }
}

// Runs a k-NN (k > 0) or radius (k == 0) scan and hands each query's sorted keys to emit.
template <class Emit>
void run_scan(const HammingArgs& a, size_t k, int r, Emit&& emit) {
  const IsaKernels& K = kernels_for(a.isa);
  const int T = thread_count(a);
  const size_t ntiles = (a.nq + kTileQueries - 1) / kTileQueries;
  // Few queries: split the database across threads instead and merge per query.
  const size_t nparts = (ntiles >= static_cast<size_t>(2 * T) || T == 1)
                            ? 1
                            : std::min<size_t>(T, std::max<size_t>(1, a.n / 4096));
  std::vector<std::vector<uint64_t>> parts(nparts > 1 ? nparts * a.nq : 0);
  const size_t njobs = ntiles * nparts;
#pragma omp parallel num_threads(T)
  {
    std::vector<QueryCandidates> cands(kTileQueries);
    std::vector<uint32_t> hist(a.bits + 2);
    std::vector<uint64_t> sorted;
#pragma omp for schedule(dynamic, 1)
    for (size_t job = 0; job < njobs; ++job) {
      size_t tile = job / nparts, part = job % nparts;
      size_t q0 = tile * kTileQueries, q1 = std::min(a.nq, q0 + kTileQueries);
      size_t lo = a.n * part / nparts, hi = a.n * (part + 1) / nparts;
      for (size_t q = q0; q < q1; ++q) {
        if (k)
          cands[q - q0].reset_knn(k, a.bits);
        else
          cands[q - q0].reset_radius(r);
      }
      scan_tile(K, a, q0, q1, lo, hi, cands.data());
      for (size_t q = q0; q < q1; ++q) {
        QueryCandidates& c = cands[q - q0];
        if (k) c.compact();
        if (nparts > 1) {
          parts[part * a.nq + q] = c.keys;
          continue;
        }
        sorted.resize(c.keys.size());
        size_t m =
            detail::select_sorted(c.keys, a.bits, k ? k : c.keys.size(), hist, sorted.data());
        emit(q, sorted.data(), m);
      }
    }
    if (nparts > 1) {
      std::vector<uint64_t> merged;
#pragma omp for schedule(dynamic, 16)
      for (size_t q = 0; q < a.nq; ++q) {
        merged.clear();
        for (size_t p = 0; p < nparts; ++p) {  // parts in index order: keys stay in index order
          auto& v = parts[p * a.nq + q];
          merged.insert(merged.end(), v.begin(), v.end());
          std::vector<uint64_t>().swap(v);
        }
        sorted.resize(merged.size());
        size_t m =
            detail::select_sorted(merged, a.bits, k ? k : merged.size(), hist, sorted.data());
        emit(q, sorted.data(), m);
      }
    }
  }
}

}  // namespace

bool hamming_isa_supported(HammingIsa isa) {
  switch (isa) {
    case HammingIsa::Auto:
    case HammingIsa::Scalar:
      return true;
    case HammingIsa::Popcnt:
      return __builtin_cpu_supports("popcnt");
    case HammingIsa::Avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
    case HammingIsa::Avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512vpopcntdq");
  }
  return false;
}

HammingIsa hamming_best_isa() {
  if (hamming_isa_supported(HammingIsa::Avx512)) return HammingIsa::Avx512;
  if (hamming_isa_supported(HammingIsa::Avx2)) return HammingIsa::Avx2;
  if (hamming_isa_supported(HammingIsa::Popcnt)) return HammingIsa::Popcnt;
  return HammingIsa::Scalar;
}

const char* hamming_isa_name(HammingIsa isa) {
  switch (isa) {
    case HammingIsa::Auto:
      return "auto";
    case HammingIsa::Scalar:
      return "scalar";
    case HammingIsa::Popcnt:
      return "popcnt";
    case HammingIsa::Avx2:
      return "avx2";
    case HammingIsa::Avx512:
      return "avx512-vpopcntdq";
  }
  return "?";
}

void hamming_rank_row(const uint16_t* dist, size_t n, int bits, uint32_t* order, uint32_t* counts) {
  std::fill(counts, counts + bits + 2, 0u);
  for (size_t i = 0; i < n; ++i) ++counts[dist[i] + 1];
  for (int d = 0; d <= bits; ++d) counts[d + 1] += counts[d];
  for (size_t i = 0; i < n; ++i) order[counts[dist[i]]++] = static_cast<uint32_t>(i);
}

void hamming_distances_row(const uint64_t* q, const uint64_t* db, size_t n, size_t words,
                           uint16_t* out, HammingIsa isa) {
  kernels_for(isa).row(q, db, n, words, out);
}

void hamming_knn(const HammingArgs& a, size_t k, int64_t* ids, int32_t* dist) {
  check_args(a, "hamming_knn");
  if (k < 1 || k > a.n)
    throw std::invalid_argument("hamming_knn: k=" + std::to_string(k) +
                                " must be in [1, n=" + std::to_string(a.n) + "]");
  if (k * 8 >= a.n && a.n <= 0xFFFFFFFFu) {  // large k: rank every code (O(n) per query)
    const IsaKernels& K = kernels_for(a.isa);
#pragma omp parallel num_threads(thread_count(a))
    {
      std::vector<uint16_t> d(a.n);
      std::vector<uint32_t> order(a.n), counts(a.bits + 2);
#pragma omp for schedule(dynamic, 4)
      for (size_t q = 0; q < a.nq; ++q) {
        K.row(a.queries + q * a.words, a.db, a.n, a.words, d.data());
        hamming_rank_row(d.data(), a.n, a.bits, order.data(), counts.data());
        for (size_t j = 0; j < k; ++j) {
          ids[q * k + j] = order[j];
          dist[q * k + j] = d[order[j]];
        }
      }
    }
    return;
  }
  run_scan(a, k, 0, [&](size_t q, const uint64_t* keys, size_t m) {
    for (size_t j = 0; j < m; ++j) {
      ids[q * k + j] = static_cast<int64_t>(keys[j] & kIdMask);
      dist[q * k + j] = static_cast<int32_t>(keys[j] >> kIdBits);
    }
  });
}

void hamming_radius(const HammingArgs& a, int r, std::vector<int64_t>& lims,
                    std::vector<int64_t>& ids, std::vector<int32_t>& dist) {
  check_args(a, "hamming_radius");
  if (r < 0)
    throw std::invalid_argument("hamming_radius: r must be >= 0, got " + std::to_string(r));
  std::vector<std::vector<uint64_t>> per(a.nq);
  if (a.n > 0)
    run_scan(a, 0, std::min(r, a.bits),
             [&](size_t q, const uint64_t* keys, size_t m) { per[q].assign(keys, keys + m); });
  lims.assign(a.nq + 1, 0);
  for (size_t q = 0; q < a.nq; ++q) lims[q + 1] = lims[q] + static_cast<int64_t>(per[q].size());
  ids.resize(lims[a.nq]);
  dist.resize(lims[a.nq]);
  for (size_t q = 0; q < a.nq; ++q)
    for (size_t j = 0; j < per[q].size(); ++j) {
      ids[lims[q] + j] = static_cast<int64_t>(per[q][j] & kIdMask);
      dist[lims[q] + j] = static_cast<int32_t>(per[q][j] >> kIdBits);
    }
}

void hamming_distance_matrix(const HammingArgs& a, int32_t* out) {
  check_args(a, "hamming_distance_matrix");
  const IsaKernels& K = kernels_for(a.isa);
#pragma omp parallel num_threads(thread_count(a))
  {
    std::vector<uint16_t> d(a.n);
#pragma omp for schedule(dynamic, 4)
    for (size_t q = 0; q < a.nq; ++q) {
      K.row(a.queries + q * a.words, a.db, a.n, a.words, d.data());
      for (size_t i = 0; i < a.n; ++i) out[q * a.n + i] = d[i];
    }
  }
}

uint64_t hamming_distance_sum(const HammingArgs& a) {
  check_args(a, "hamming_distance_sum");
  const IsaKernels& K = kernels_for(a.isa);
  const size_t W = a.words, B = block_codes(W);
  const size_t ngroups = (a.nq + kGroup - 1) / kGroup;
  std::vector<uint64_t> q8(ngroups * kGroup * W, 0);
  for (size_t q = 0; q < a.nq; ++q) std::memcpy(&q8[q * W], a.queries + q * W, W * 8);
  const size_t gpt = kTileQueries / kGroup, ntiles = (ngroups + gpt - 1) / gpt;
  const size_t nblocks = (a.n + B - 1) / B;
  uint64_t total = 0;
#pragma omp parallel for num_threads(thread_count(a)) schedule(dynamic, 1) reduction(+ : total)
  for (size_t job = 0; job < ntiles * nblocks; ++job) {  // tiles x blocks
    size_t t = job / nblocks, b = (job % nblocks) * B;
    for (size_t gi = t * gpt; gi < std::min(ngroups, (t + 1) * gpt); ++gi)
      total += K.sum(&q8[gi * kGroup * W], a.db, b, std::min(a.n, b + B), W);
  }
  return total;  // padded query slots are all-zero codes: counted too, deterministic
}

}  // namespace he::kernels::cpu
