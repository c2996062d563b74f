#include "retrieval/mih.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace he::retrieval {

namespace {

constexpr int kIdBits = 40;
constexpr uint64_t kIdMask = (uint64_t{1} << kIdBits) - 1;

uint64_t substring(const uint64_t* c, int first, int len) {
  const int w = first / 64, o = first % 64;
  uint64_t v = c[w] >> o;
  if (o + len > 64) v |= c[w + 1] << (64 - o);
  return len == 64 ? v : v & ((uint64_t{1} << len) - 1);
}

// Number of len-bit masks with r bits set, capped (only compared with a budget).
double choose(int len, int r) {
  if (r < 0 || r > len) return 0;
  double c = 1;
  for (int i = 0; i < r; ++i) c = c * (len - i) / (i + 1);
  return c;
}

}  // namespace

int mih_default_substrings(int bits, size_t n) {
  const int lo = (bits + 63) / 64;
  int m = n > 1 ? static_cast<int>(std::lround(bits / std::log2(static_cast<double>(n)))) : 1;
  return std::clamp(m, lo, bits);
}

struct MihIndex::Scratch {
  std::vector<uint64_t> keys;   // (distance << 40) | id, in discovery order
  std::vector<uint32_t> hist;   // stored candidates per distance
  uint32_t thr = 0;             // candidates farther than this are not stored
  size_t cap = 0, visited = 0;  // visited: bucket entries, summed over queries per thread
  void compact(size_t k);
};

MihIndex::MihIndex(PackedCodes codes, int m) : codes_(std::move(codes)) {
  const int bits = codes_.bits();
  if (m == 0) m = mih_default_substrings(bits, codes_.size());
  if (m < (bits + 63) / 64 || m > bits)
    throw std::invalid_argument("MihIndex: m=" + std::to_string(m) + " substrings for " +
                                std::to_string(bits) +
                                "-bit codes; need ceil(bits/64) <= m <= bits");
  if (codes_.size() >= (uint64_t{1} << 32))
    throw std::invalid_argument("MihIndex: at most 2^32 - 1 codes");
  tables_.resize(m);
  int first = 0;
  for (int j = 0; j < m; ++j) {
    Table& t = tables_[j];
    t.first_bit = first;
    t.len = bits / m + (j < bits % m ? 1 : 0);
    first += t.len;
    t.mask.assign(codes_.words_per_code(), 0);
    for (int b = t.first_bit; b < t.first_bit + t.len; ++b)
      t.mask[b / 64] |= uint64_t{1} << (b % 64);
  }
#pragma omp parallel for schedule(dynamic, 1)
  for (int j = 0; j < m; ++j) build_table(tables_[j]);
}

void MihIndex::build_table(Table& t) const {
  const size_t n = codes_.size();
  std::vector<uint64_t> vals(n);
  for (size_t i = 0; i < n; ++i) vals[i] = substring(codes_.row(i), t.first_bit, t.len);
  t.ids.resize(n);
  t.dense = t.len <= 26 && (uint64_t{1} << t.len) <= 4 * n + 4096;
  if (t.dense) {  // counting sort by value: ids stay ascending inside a bucket
    t.offsets.assign((size_t{1} << t.len) + 1, 0);
    for (uint64_t v : vals) ++t.offsets[v + 1];
    for (size_t b = 1; b < t.offsets.size(); ++b) t.offsets[b] += t.offsets[b - 1];
    std::vector<uint32_t> pos(t.offsets.begin(), t.offsets.end() - 1);
    for (size_t i = 0; i < n; ++i) t.ids[pos[vals[i]]++] = static_cast<uint32_t>(i);
  } else {  // sorted distinct values + offsets (binary search on probe)
    std::vector<uint32_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = static_cast<uint32_t>(i);
    std::stable_sort(order.begin(), order.end(),
                     [&](uint32_t a, uint32_t b) { return vals[a] < vals[b]; });
    for (size_t i = 0; i < n; ++i) {
      uint64_t v = vals[order[i]];
      if (t.keys.empty() || t.keys.back() != v) {
        t.keys.push_back(v);
        t.offsets.push_back(static_cast<uint32_t>(i));
      }
      t.ids[i] = order[i];
    }
    t.offsets.push_back(static_cast<uint32_t>(n));
  }
  // A copy of the codes in bucket order: probing then streams memory instead of jumping
  // to random rows of the database.
  const size_t W = codes_.words_per_code();
  t.codes.resize(n * W);
  for (size_t p = 0; p < n; ++p) std::copy_n(codes_.row(t.ids[p]), W, &t.codes[p * W]);
}

// Stored candidates: every code found so far with distance <= thr (thr only decreases and
// always stays >= the k-th smallest distance found), so the final top k is among them.
void MihIndex::Scratch::compact(size_t k) {
  size_t below = 0;
  uint32_t t = 0;
  while (below + hist[t] < k) below += hist[t++];
  size_t out = 0;
  for (uint64_t key : keys)
    if ((key >> kIdBits) <= t) keys[out++] = key;
  keys.resize(out);
  for (size_t d = t + 1; d < hist.size(); ++d) hist[d] = 0;
  thr = t;  // not t - 1: candidates arrive out of index order, a tie at t may still win
  cap = std::max(cap, 2 * keys.size());
}

bool MihIndex::search_one(const uint64_t* q, size_t k, Scratch& s, int64_t* ids,
                          int32_t* dist) const {
  const int bits = codes_.bits(), m = substrings();
  const size_t W = codes_.words_per_code(), n = codes_.size();
  s.keys.clear();
  s.hist.assign(bits + 1, 0);
  s.thr = static_cast<uint32_t>(bits);
  s.cap = std::max<size_t>(2 * k, k + 64);
  // Cost model: a probe or a visited bucket entry costs roughly what the SIMD scan spends
  // on ~32 codes, so past n / 32 units (at least 2^16) the exhaustive scan is cheaper.
  const double budget = std::max(static_cast<double>(n) / 32.0, 65536.0);
  const size_t visited0 = s.visited;
  double work = 0;  // buckets probed so far
  bool done = false;
  int max_len = 0;
  for (const Table& t : tables_) max_len = std::max(max_len, t.len);
  for (int r = 0; r <= max_len && !done; ++r) {
    for (const Table& t : tables_) work += choose(t.len, r);
    if (work + static_cast<double>(s.visited - visited0) > budget) break;
    for (int j = 0; j < m && !done; ++j) {
      const Table& t = tables_[j];
      const uint64_t qs = substring(q, t.first_bit, t.len);
      auto visit = [&](uint64_t value) {
        uint32_t lo, hi;
        if (t.dense) {
          lo = t.offsets[value], hi = t.offsets[value + 1];
        } else {
          auto it = std::lower_bound(t.keys.begin(), t.keys.end(), value);
          if (it == t.keys.end() || *it != value) return;
          size_t b = it - t.keys.begin();
          lo = t.offsets[b], hi = t.offsets[b + 1];
        }
        s.visited += hi - lo;
        for (uint32_t p = lo; p < hi; ++p) {
          const uint64_t* c = &t.codes[size_t{p} * W];  // bucket-ordered copy: streamed
          uint32_t d = 0;
          for (size_t w = 0; w < W; ++w) d += __builtin_popcountll(q[w] ^ c[w]);
          if (d > s.thr) continue;
          // Seen before iff an earlier table matched within r or a later one within r - 1.
          bool seen = false;
          for (int u = 0; u < m && !seen; ++u) {
            if (u == j) continue;
            int sd = 0;
            for (size_t w = 0; w < W; ++w)
              sd += __builtin_popcountll((q[w] ^ c[w]) & tables_[u].mask[w]);
            seen = u < j ? sd <= r : sd <= r - 1;
          }
          if (seen) continue;
          s.keys.push_back((uint64_t{d} << kIdBits) | t.ids[p]);
          ++s.hist[d];
          if (s.keys.size() >= s.cap) s.compact(k);
        }
      };
      if (r <= t.len) {
        if (r == 0) {
          visit(qs);
        } else {  // every len-bit mask with r bits set (Gosper's hack)
          const unsigned __int128 end = static_cast<unsigned __int128>(1) << t.len;
          unsigned __int128 x = (static_cast<unsigned __int128>(1) << r) - 1;
          while (x < end) {
            visit(qs ^ static_cast<uint64_t>(x));
            unsigned __int128 c = x & (~x + 1), rr = x + c;
            x = (((rr ^ x) >> 2) / c) | rr;
          }
        }
      }
      // Every code with distance <= m*r + j has been found; stored are those <= thr.
      const int bound = std::min<int>({bits, m * r + j, static_cast<int>(s.thr)});
      size_t within = 0;
      for (int d = 0; d <= bound; ++d) within += s.hist[d];
      done = within >= k;
    }
  }
  if (!done) {  // probing would cost more than a scan: finish exhaustively (same result)
    kernels::cpu::HammingArgs a;
    a.queries = q;
    a.nq = 1;
    a.db = codes_.data();
    a.n = n;
    a.words = W;
    a.bits = bits;
    a.threads = 1;
    kernels::cpu::hamming_knn(a, k, ids, dist);
    return false;
  }
  // All codes up to the k-th distance are stored: sort by (distance, id), keep k.
  s.compact(k);
  std::sort(s.keys.begin(), s.keys.end());
  for (size_t i = 0; i < k; ++i) {
    ids[i] = static_cast<int64_t>(s.keys[i] & kIdMask);
    dist[i] = static_cast<int32_t>(s.keys[i] >> kIdBits);
  }
  return true;
}

KnnResult MihIndex::knn(const PackedCodes& queries, size_t k, const SearchOptions& opt,
                        MihStats* stats) const {
  if (queries.bits() != codes_.bits())
    throw std::invalid_argument("MihIndex::knn: index has " + std::to_string(codes_.bits()) +
                                "-bit codes, queries have " + std::to_string(queries.bits()));
  if (k < 1 || k > codes_.size())
    throw std::invalid_argument("MihIndex::knn: k=" + std::to_string(k) +
                                " must be in [1, n=" + std::to_string(codes_.size()) + "]");
  KnnResult res{queries.size(), k, std::vector<int64_t>(queries.size() * k),
                std::vector<int32_t>(queries.size() * k)};
  const int T = opt.threads > 0 ? opt.threads : omp_get_max_threads();
  size_t probed = 0, candidates = 0;
#pragma omp parallel num_threads(T) reduction(+ : probed, candidates)
  {
    Scratch s;
#pragma omp for schedule(dynamic, 4)
    for (size_t i = 0; i < queries.size(); ++i)
      probed += search_one(queries.row(i), k, s, res.ids.data() + i * k, res.dist.data() + i * k);
    candidates += s.visited;
  }
  if (stats) *stats = {probed, queries.size() - probed, candidates};
  return res;
}

}  // namespace he::retrieval
