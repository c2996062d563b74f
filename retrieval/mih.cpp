#include "retrieval/mih.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
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

// Number of len-bit masks with r bits set (only compared with a budget).
double choose(int len, int r) {
  if (r < 0 || r > len) return 0;
  double c = 1;
  for (int i = 0; i < r; ++i) c = c * (len - i) / (i + 1);
  return c;
}

// The cost model, in nanoseconds of one thread, fit to CPU times on a 2-core AVX-512 Xeon
// (under load from other processes). The blocked scan: per database code per query and
// 64-bit word, 0.10-0.14 ns with AVX-512 (bench_scale at 10M codes, BM_KnnIsa), 0.33 AVX2,
// 0.52 POPCNT, 3.5 scalar (BM_KnnIsa). MIH, from bench_scale at 10M codes probing every
// query to the end: 75 ns per bucket looked up (its offsets and its first codes are cache
// misses: random codes, 24,203 lookups and 76,535 entries per query in 2.03 ms) and 2.5 ns
// per bucket entry read (itq codes, 157 lookups and 43,684 entries per query in 118-174 us).
constexpr double kProbeNs = 75.0, kVisitNs = 2.5;
// A query may spend up to this fraction of its scan share on the tables: beyond it the
// tables no longer pay (with a margin for the model's error), and abandoning costs what
// was spent. On itq / hashnet codes (bench_scale, 10M) 0.5 sent 66 / 575 of 1,000 queries to
// the scan, 1.0 21 / 525, 0.75 23 / 526; CPU time vs the scan 4.8x / 1.9x, 6.6x / 1.3x,
// 6.4x / 1.4x faster.
constexpr double kQueryCap = 0.75;

double scan_ns_per_code(size_t words) {
  using kernels::cpu::HammingIsa;
  const HammingIsa isa = kernels::cpu::hamming_best_isa();
  const double per_word = isa == HammingIsa::Avx512   ? 0.1
                          : isa == HammingIsa::Avx2   ? 0.33
                          : isa == HammingIsa::Popcnt ? 0.52
                                                      : 3.5;
  return per_word * static_cast<double>(words);
}

// The given rows of `codes`, in that order.
PackedCodes gather_rows(const PackedCodes& codes, const std::vector<size_t>& rows) {
  PackedCodes out(rows.size(), codes.bits());
  const size_t W = codes.words_per_code();
  for (size_t j = 0; j < rows.size(); ++j)
    std::copy_n(codes.row(rows[j]), W, out.mutable_data() + j * W);
  return out;
}

}  // namespace

int mih_default_substrings(int bits, size_t n) {
  const int lo = (bits + 63) / 64;
  int m = n > 1 ? static_cast<int>(std::lround(bits / std::log2(static_cast<double>(n)))) : 1;
  return std::clamp(m, lo, bits);
}

// Per-thread search state. keys: (distance << 40) | id of the candidates stored so far.
struct MihIndex::Scratch {
  std::vector<uint64_t> keys;
  std::vector<uint32_t> hist;       // stored candidates per distance
  std::vector<uint16_t> dist;       // distances of one bucket's entries
  uint32_t thr = 0;                 // candidates farther than this are not stored
  size_t cap = 0;                   // compact when keys reach this
  std::vector<Bucket> level;        // non-empty buckets looked up, not yet read
  double spent = 0;                 // ns of the cost model, this query
  size_t visited = 0, buckets = 0;  // summed over this thread's queries
  void compact(size_t k);
};

bool MihIndex::Table::bucket(uint64_t value, uint32_t& lo, uint32_t& hi) const {
  if (dense) {
    lo = offsets[value], hi = offsets[value + 1];
    return hi > lo;
  }
  auto it = std::lower_bound(keys.begin(), keys.end(), value);
  if (it == keys.end() || *it != value) return false;
  const size_t b = it - keys.begin();
  lo = offsets[b], hi = offsets[b + 1];
  return true;
}

MihIndex::MihIndex(PackedCodes codes, int m, SearchOptions opt)
    : BinaryIndex(codes.bits()), codes_(std::move(codes)), requested_m_(m), opt_(opt) {
  rebuild();
}

void MihIndex::add(const PackedCodes& codes) {
  check_queries(codes, "MihIndex::add");
  codes_ = codes_.size() == 0 ? codes : concat_codes(codes_, codes);
  rebuild();
}

void MihIndex::rebuild() {
  const int b = bits();
  const int m = requested_m_ ? requested_m_ : mih_default_substrings(b, codes_.size());
  if (m < (b + 63) / 64 || m > b)
    throw std::invalid_argument("MihIndex: m=" + std::to_string(m) + " substrings for " +
                                std::to_string(b) + "-bit codes; need ceil(bits/64) <= m <= bits");
  if (codes_.size() >= (uint64_t{1} << 32))
    throw std::invalid_argument("MihIndex: at most 2^32 - 1 codes");
  tables_.assign(m, Table{});
  int first = 0;
  for (int j = 0; j < m; ++j) {
    Table& t = tables_[j];
    t.first_bit = first;
    t.len = b / m + (j < b % m ? 1 : 0);
    first += t.len;
    t.mask.assign(codes_.words_per_code(), 0);
    for (int i = t.first_bit; i < t.first_bit + t.len; ++i)
      t.mask[i / 64] |= uint64_t{1} << (i % 64);
  }
#pragma omp parallel for schedule(dynamic, 1) \
    num_threads(opt_.threads > 0 ? opt_.threads : omp_get_max_threads())
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

double MihIndex::scan_share_ns() const {
  return static_cast<double>(codes_.size()) * scan_ns_per_code(codes_.words_per_code());
}

// The budget of one search over nq queries: per query at most max(kQueryCap, f) of its scan
// share, and all abandoned work together within f of the whole scan.
MihIndex::Budget::Budget(double scan_share, double fraction, size_t nq)
    : per_query(std::max(kQueryCap, fraction) * scan_share),
      allowance(fraction * scan_share * static_cast<double>(nq)) {}

double MihIndex::Budget::cap() const {
  return std::min(per_query, allowance - wasted.load(std::memory_order_relaxed));
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

bool MihIndex::seen_before(const uint64_t* q, const uint64_t* c, int j, int r) const {
  const size_t W = codes_.words_per_code();
  for (int u = 0; u < substrings(); ++u) {
    if (u == j) continue;
    int sd = 0;
    for (size_t w = 0; w < W; ++w) sd += __builtin_popcountll((q[w] ^ c[w]) & tables_[u].mask[w]);
    if (u < j ? sd <= r : sd <= r - 1) return true;
  }
  return false;
}

double MihIndex::level_probe_ns(int r) const {
  double ns = 0;
  for (const Table& t : tables_) ns += choose(t.len, r) * kProbeNs;
  return ns;
}

double MihIndex::lookups_up_to(int r, int d) const {
  const int last = d / substrings();  // the least r with m * r + (m - 1) >= d
  double ns = 0;
  for (int i = r; i <= last && ns < 1e18; ++i) ns += level_probe_ns(i);
  return ns;
}

size_t MihIndex::collect(const uint64_t* q, int j, int r, Scratch& s) const {
  const Table& t = tables_[j];
  if (r > t.len) return 0;
  const uint64_t qs = substring(q, t.first_bit, t.len);
  size_t entries = 0;
  auto one = [&](uint64_t value) {
    ++s.buckets;
    uint32_t lo, hi;
    if (!t.bucket(value, lo, hi)) return;
    s.level.push_back({lo, hi, j});
    entries += hi - lo;
  };
  if (r == 0) {
    one(qs);
    return entries;
  }
  // Every len-bit mask with r bits set (Gosper's hack).
  const unsigned __int128 end = static_cast<unsigned __int128>(1) << t.len;
  unsigned __int128 x = (static_cast<unsigned __int128>(1) << r) - 1;
  while (x < end) {
    one(qs ^ static_cast<uint64_t>(x));
    unsigned __int128 c = x & (~x + 1), rr = x + c;
    x = (((rr ^ x) >> 2) / c) | rr;
  }
  return entries;
}

template <class Visit>
void MihIndex::scan_bucket(const uint64_t* q, const Bucket& b, const uint32_t& limit, Scratch& s,
                           Visit&& visit) const {
  // The bucket's codes are contiguous (bucket-ordered copy): one SIMD distance pass.
  const size_t W = codes_.words_per_code(), len = b.hi - b.lo;
  if (s.dist.size() < len) s.dist.resize(len);
  kernels::cpu::hamming_distances_row(q, &tables_[b.table].codes[size_t{b.lo} * W], len, W,
                                      s.dist.data());
  s.visited += len;
  for (uint32_t p = b.lo; p < b.hi; ++p)
    if (s.dist[p - b.lo] <= limit) visit(p, s.dist[p - b.lo]);
}

namespace {
// The k-th smallest distance among the stored candidates (at least k are stored).
int kth_found(const std::vector<uint32_t>& hist, size_t k) {
  size_t below = 0;
  int d = 0;
  while (below + hist[d] < k) below += hist[d++];
  return d;
}
}  // namespace

bool MihIndex::knn_one(const uint64_t* q, size_t k, double cap, Scratch& s, int64_t* ids,
                       int32_t* dist) const {
  const int b = bits(), m = substrings();
  const size_t W = codes_.words_per_code();
  s.keys.clear();
  s.hist.assign(b + 1, 0);
  s.thr = static_cast<uint32_t>(b);
  s.cap = std::max<size_t>(2 * k, k + 64);
  s.spent = 0;
  int max_len = 0;
  for (const Table& t : tables_) max_len = std::max(max_len, t.len);
  for (int r = 0; r <= max_len; ++r) {
    // A level's lookups are paid for before it starts, each table's entries (their count
    // now known) before they are read. A query that cannot afford the next step stops, and
    // so does one whose k-th distance found so far, d, implies levels up to floor(d / m)
    // that it cannot afford: d only falls, so those are all it can still need.
    const double probes = level_probe_ns(r);
    if (s.spent + probes > cap) return false;
    if (s.keys.size() >= k && s.spent + lookups_up_to(r, kth_found(s.hist, k)) > cap) return false;
    s.spent += probes;  // charged whole, though a level may end after its first table
    for (int j = 0; j < m; ++j) {
      const Table& t = tables_[j];
      s.level.clear();  // this table's buckets at radius r, looked up only now
      const size_t entries = collect(q, j, r, s);
      if (s.spent + kVisitNs * static_cast<double>(entries) > cap) return false;
      s.spent += kVisitNs * static_cast<double>(entries);
      for (const Bucket& bk : s.level)
        scan_bucket(q, bk, s.thr, s, [&](uint32_t p, uint32_t d) {
          if (seen_before(q, &t.codes[size_t{p} * W], j, r)) return;
          s.keys.push_back((uint64_t{d} << kIdBits) | t.ids[p]);
          ++s.hist[d];
          if (s.keys.size() >= s.cap) s.compact(k);
        });
      // Every code with distance <= m*r + j has been found; stored are those <= thr.
      const int bound = std::min<int>({b, m * r + j, static_cast<int>(s.thr)});
      size_t within = 0;
      for (int d = 0; d <= bound; ++d) within += s.hist[d];
      if (within < k) continue;
      // All codes up to the k-th distance are stored: sort by (distance, id), keep k.
      s.compact(k);
      std::sort(s.keys.begin(), s.keys.end());
      for (size_t i = 0; i < k; ++i) {
        ids[i] = static_cast<int64_t>(s.keys[i] & kIdMask);
        dist[i] = static_cast<int32_t>(s.keys[i] >> kIdBits);
      }
      return true;
    }
  }
  return false;  // unreachable: at r = max_len every code has been seen
}

// Pigeonhole: a code within distance r has some substring within floor(r / m) of the query's.
bool MihIndex::range_one(const uint64_t* q, int r, double cap, Scratch& s) const {
  const int m = substrings(), sr = r / m;
  const size_t W = codes_.words_per_code();
  s.keys.clear();
  s.spent = 0;
  for (int i = 0; i <= sr; ++i) s.spent += level_probe_ns(i);
  if (s.spent > cap) return false;
  s.level.clear();
  size_t entries = 0;
  for (int j = 0; j < m; ++j)
    for (int i = 0; i <= sr; ++i) entries += collect(q, j, i, s);
  if (s.spent + kVisitNs * static_cast<double>(entries) > cap) return false;
  s.spent += kVisitNs * static_cast<double>(entries);
  const uint32_t limit = static_cast<uint32_t>(r);
  for (const Bucket& bk : s.level) {
    const Table& t = tables_[bk.table];
    scan_bucket(q, bk, limit, s, [&](uint32_t p, uint32_t d) {
      // First sighting: no earlier table within sr (a table meets each code once).
      const uint64_t* c = &t.codes[size_t{p} * W];
      for (int u = 0; u < bk.table; ++u) {
        int sd = 0;
        for (size_t w = 0; w < W; ++w)
          sd += __builtin_popcountll((q[w] ^ c[w]) & tables_[u].mask[w]);
        if (sd <= sr) return;
      }
      s.keys.push_back((uint64_t{d} << kIdBits) | t.ids[p]);
    });
  }
  std::sort(s.keys.begin(), s.keys.end());
  return true;
}

KnnResult MihIndex::search(const PackedCodes& queries, size_t k, SearchStats* stats) const {
  check_queries(queries, "MihIndex::search");
  check_k(k, "MihIndex::search");
  const size_t nq = queries.size();
  KnnResult res{nq, k, std::vector<int64_t>(nq * k), std::vector<int32_t>(nq * k)};
  const int T = opt_.threads > 0 ? opt_.threads : omp_get_max_threads();
  Budget budget(scan_share_ns(), budget_fraction_, nq);
  std::vector<uint8_t> scanned(nq, 0);
  size_t visited = 0, buckets = 0;
#pragma omp parallel num_threads(T) reduction(+ : visited, buckets)
  {
    Scratch s;
#pragma omp for schedule(dynamic, 4)
    for (size_t i = 0; i < nq; ++i) {
      const double cap = budget.cap();
      scanned[i] = cap <= 0 || !knn_one(queries.row(i), k, cap, s, res.ids.data() + i * k,
                                        res.dist.data() + i * k);
      if (scanned[i] && cap > 0) budget.wasted.fetch_add(s.spent, std::memory_order_relaxed);
    }
    visited += s.visited;
    buckets += s.buckets;
  }
  // The queries that ran out of budget, answered together by the blocked scan.
  std::vector<size_t> rest;
  for (size_t i = 0; i < nq; ++i)
    if (scanned[i]) rest.push_back(i);
  if (!rest.empty()) {
    KnnResult sr = hamming_knn(codes_, gather_rows(queries, rest), k, opt_);
    for (size_t j = 0; j < rest.size(); ++j) {
      std::copy_n(&sr.ids[j * k], k, &res.ids[rest[j] * k]);
      std::copy_n(&sr.dist[j * k], k, &res.dist[rest[j] * k]);
    }
    visited += rest.size() * codes_.size();
  }
  if (stats) *stats = {nq - rest.size(), rest.size(), visited, buckets};
  return res;
}

RangeResult MihIndex::range_search(const PackedCodes& queries, int r) const {
  check_queries(queries, "MihIndex::range_search");
  if (r < 0)
    throw std::invalid_argument("MihIndex::range_search: r must be >= 0, got " + std::to_string(r));
  r = std::min(r, bits());
  const size_t nq = queries.size();
  std::vector<std::vector<uint64_t>> hits(nq);
  std::vector<uint8_t> scanned(nq, 0);
  Budget budget(scan_share_ns(), budget_fraction_, nq);
#pragma omp parallel num_threads(opt_.threads > 0 ? opt_.threads : omp_get_max_threads())
  {
    Scratch s;
#pragma omp for schedule(dynamic, 4)
    for (size_t i = 0; i < nq; ++i) {
      const double cap = budget.cap();
      scanned[i] = cap <= 0 || !range_one(queries.row(i), r, cap, s);
      if (scanned[i] && cap > 0) budget.wasted.fetch_add(s.spent, std::memory_order_relaxed);
      if (!scanned[i]) hits[i] = s.keys;
    }
  }
  std::vector<size_t> rest;
  for (size_t i = 0; i < nq; ++i)
    if (scanned[i]) rest.push_back(i);
  RangeResult sr;
  if (!rest.empty()) {
    sr = hamming_radius(codes_, gather_rows(queries, rest), r, opt_);
  }
  RangeResult res;
  res.lims.assign(nq + 1, 0);
  for (size_t i = 0, j = 0; i < nq; ++i) {
    if (scanned[i]) {
      for (int64_t p = sr.lims[j]; p < sr.lims[j + 1]; ++p) {
        res.ids.push_back(sr.ids[p]);
        res.dist.push_back(sr.dist[p]);
      }
      ++j;
    } else {
      for (uint64_t key : hits[i]) {
        res.ids.push_back(static_cast<int64_t>(key & kIdMask));
        res.dist.push_back(static_cast<int32_t>(key >> kIdBits));
      }
    }
    res.lims[i + 1] = static_cast<int64_t>(res.ids.size());
  }
  return res;
}

}  // namespace he::retrieval
