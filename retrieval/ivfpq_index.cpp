#include "retrieval/ivfpq_index.h"

#include <omp.h>

#include <algorithm>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>

#include "kernels/blas.h"
#include "kernels/kmeans.h"
#include "kernels/pq.h"
#include "retrieval/kmeans.h"
#include "retrieval/pq_topk.h"

namespace he::retrieval {

namespace {

// Queries whose coarse distances and query terms (16 m KiB each) are built at once by GEMM: few
// enough that the buffers, reused chunk after chunk, stay small and in cache.
constexpr int64_t kQueryChunk = 64;

// Residuals x - coarse[assign] of x:(n,d).
std::vector<float> residuals(const float* x, int64_t n, int64_t d, const std::vector<float>& coarse,
                             const std::vector<int64_t>& assign) {
  std::vector<float> r(n * d);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t t = 0; t < d; ++t) r[i * d + t] = x[i * d + t] - coarse[assign[i] * d + t];
  return r;
}

std::vector<int64_t> assign_coarse(const float* x, int64_t n, int64_t d,
                                   const std::vector<float>& coarse) {
  std::vector<int64_t> assign(n);
  std::vector<float> dist2(n);
  if (n > 0)
    kernels::cpu::kmeans_assign(x, n, d, coarse.data(), static_cast<int64_t>(coarse.size()) / d,
                                assign.data(), dist2.data());
  return assign;
}

}  // namespace

IvfPqIndex::IvfPqIndex(std::vector<float> coarse, ProductQuantizer pq)
    : coarse_(std::move(coarse)), pq_(std::move(pq)) {
  pq_.validate("IvfPqIndex");
  if (pq_.nbits != 8)
    throw std::invalid_argument("IvfPqIndex: residual codes must be 8-bit, got nbits=" +
                                std::to_string(pq_.nbits));
  if (coarse_.empty() || coarse_.size() % pq_.d != 0)
    throw std::invalid_argument(
        "IvfPqIndex: " + std::to_string(coarse_.size()) +
        " coarse centroid values is not a positive multiple of d=" + std::to_string(pq_.d));
  const size_t nlist = coarse_.size() / pq_.d;
  list_ids_.assign(nlist, {}), list_codes_.assign(nlist, {}), list_packed_.assign(nlist, {});
  precompute_list_terms();
}

IvfPqIndex IvfPqIndex::train(const float* x, int64_t n, int64_t d, int64_t nlist, int64_t m,
                             uint64_t seed) {
  // 64 rows per list and 10 Lloyd updates after the k-means++ seeding: the coarse centroids
  // only route queries, the residual PQ carries the precision.
  KMeansOptions ko;
  ko.k = nlist, ko.max_iter = 10, ko.seed = seed;
  std::vector<float> xs = sample_rows(x, n, d, 64 * nlist, seed);
  const int64_t rows = static_cast<int64_t>(xs.size()) / d;
  std::vector<float> coarse = kmeans(xs.data(), rows, d, ko).centroids;
  std::vector<float> res =
      residuals(xs.data(), rows, d, coarse, assign_coarse(xs.data(), rows, d, coarse));
  PqTrainOptions po;
  po.seed = seed + 1;
  return IvfPqIndex(std::move(coarse), ProductQuantizer::train(res.data(), rows, d, m, 8, po));
}

void IvfPqIndex::precompute_list_terms() {
  const int64_t nlist = this->nlist(), m = pq_.m, dsub = pq_.dsub();
  const std::vector<float> norms = pq_.centroid_norms();
  list_terms_.resize(nlist * m * 256);
#pragma omp parallel for schedule(static)
  for (int64_t l = 0; l < nlist; ++l)
    for (int64_t j = 0; j < m; ++j) {
      const float* c = coarse_.data() + l * pq_.d + j * dsub;
      for (int64_t k = 0; k < 256; ++k) {
        const float* r = pq_.centroids.data() + (j * 256 + k) * dsub;
        float dot = 0;
        for (int64_t t = 0; t < dsub; ++t) dot += c[t] * r[t];
        list_terms_[(l * m + j) * 256 + k] = norms[j * 256 + k] + 2 * dot;
      }
    }
}

void IvfPqIndex::add(const float* x, int64_t n) {
  const int64_t d = pq_.d, m = pq_.m;
  std::vector<int64_t> assign = assign_coarse(x, n, d, coarse_);
  std::vector<float> res = residuals(x, n, d, coarse_, assign);
  std::vector<uint8_t> codes(n * m);
  pq_.encode(res.data(), n, codes.data());
  for (int64_t i = 0; i < n; ++i) {
    list_ids_[assign[i]].push_back(n_ + i);
    list_codes_[assign[i]].insert(list_codes_[assign[i]].end(), codes.begin() + i * m,
                                  codes.begin() + (i + 1) * m);
  }
  for (int64_t l = 0; l < nlist(); ++l) pack_list(l);
  n_ += n;
}

void IvfPqIndex::pack_list(int64_t l) {
  const size_t size = list_ids_[l].size();
  list_packed_[l].resize(kernels::cpu::pq8_blocks(size) * pq_.m * kernels::cpu::kPq8Block);
  kernels::cpu::pq8_pack(list_codes_[l].data(), size, pq_.m, list_packed_[l].data());
}

void IvfPqIndex::set_lists(const std::vector<int64_t>& list_sizes, const std::vector<int64_t>& ids,
                           const std::vector<uint8_t>& codes) {
  const int64_t m = pq_.m;
  if (static_cast<int64_t>(list_sizes.size()) != nlist())
    throw std::invalid_argument("IvfPqIndex::set_lists: " + std::to_string(list_sizes.size()) +
                                " list sizes for nlist=" + std::to_string(nlist()));
  int64_t total = 0;
  for (int64_t s : list_sizes) {
    if (s < 0 || s > static_cast<int64_t>(ids.size()) - total)
      throw std::invalid_argument("IvfPqIndex::set_lists: list sizes do not sum to the id count");
    total += s;
  }
  if (total != static_cast<int64_t>(ids.size()) || codes.size() != ids.size() * m)
    throw std::invalid_argument("IvfPqIndex::set_lists: " + std::to_string(ids.size()) +
                                " ids and " + std::to_string(codes.size()) +
                                " code bytes for lists holding " + std::to_string(total));
  int64_t off = 0;
  for (int64_t l = 0; l < nlist(); ++l) {
    list_ids_[l].assign(ids.begin() + off, ids.begin() + off + list_sizes[l]);
    list_codes_[l].assign(codes.begin() + off * m, codes.begin() + (off + list_sizes[l]) * m);
    off += list_sizes[l];
    pack_list(l);
  }
  n_ = total;
}

FloatKnnResult IvfPqIndex::search(const float* q, int64_t nq, const PqSearchOptions& opt) const {
  const int64_t d = pq_.d, nl = nlist();
  const size_t k = opt.k, nprobe = std::min<size_t>(std::max<size_t>(opt.nprobe, 1), nl);
  if (k < 1 || static_cast<int64_t>(k) > n_)
    throw std::invalid_argument("IvfPqIndex::search: k=" + std::to_string(k) +
                                " must be in [1, n=" + std::to_string(n_) + "]");
  const bool rerank = opt.originals && opt.rerank > 0;
  const size_t kk = rerank ? std::min<size_t>(std::max(k, opt.rerank), n_) : k;
  const int T = opt.threads > 0 ? opt.threads : omp_get_max_threads();
  std::vector<float> cnorm(nl, 0.0f);
  for (int64_t l = 0; l < nl; ++l)
    for (int64_t t = 0; t < d; ++t) cnorm[l] += coarse_[l * d + t] * coarse_[l * d + t];
  FloatKnnResult r{static_cast<size_t>(nq), kk, std::vector<int64_t>(nq * kk, -1),
                   std::vector<float>(nq * kk, std::numeric_limits<float>::infinity())};
  // Coarse distances and query terms of one chunk of queries, reused chunk after chunk.
  std::vector<float> qc(std::min(kQueryChunk, nq) * nl),
      qterm(std::min(kQueryChunk, nq) * pq_.m * 256);
  for (int64_t q0 = 0; q0 < nq; q0 += kQueryChunk)  // bounded per-query tables
    search_chunk(q + q0 * d, std::min(kQueryChunk, nq - q0), nprobe, kk, cnorm, opt, T, qc.data(),
                 qterm.data(), r.ids.data() + q0 * kk, r.scores.data() + q0 * kk);
  return rerank ? rerank_exact(r, q, opt.originals, d, k, T) : r;
}

void IvfPqIndex::search_chunk(const float* q, int64_t nq, size_t nprobe, size_t kk,
                              const std::vector<float>& cnorm, const PqSearchOptions& opt, int T,
                              float* qc, float* qterm, int64_t* out_ids, float* out_scores) const {
  const int64_t d = pq_.d, m = pq_.m, dsub = pq_.dsub(), nl = nlist();
  // Coarse distances ||q||^2 - 2 q.c + ||c||^2 by one GEMM; the ||q||^2 part is added per query.
  kernels::cpu::gemm(false, true, nq, nl, d, -2.0f, q, d, coarse_.data(), d, 0.0f, qc, nl);
  // qterm:(nq, m, 256) = -2 <q_j, centroid_{j,c}>, one GEMM per subquantiser.
  for (int64_t j = 0; j < m; ++j)
    kernels::cpu::gemm(false, true, nq, 256, dsub, -2.0f, q + j * dsub, d,
                       pq_.centroids.data() + j * 256 * dsub, dsub, 0.0f, qterm + j * 256, m * 256);
  const bool u8 = pq8_uses_u8_tables(m, opt.isa);
  const size_t sl = std::max(kk, opt.shortlist);
#pragma omp parallel num_threads(T)
  {
    std::vector<int64_t> lists(nl);
    std::vector<Probe> probes(nprobe);
#pragma omp for schedule(dynamic, 4)
    for (int64_t i = 0; i < nq; ++i) {
      const float* qi = q + i * d;
      float qn = 0;
      for (int64_t t = 0; t < d; ++t) qn += qi[t] * qi[t];
      const float* row = qc + i * nl;
      std::iota(lists.begin(), lists.end(), 0);
      auto closer = [&](int64_t a, int64_t b) {
        const float da = row[a] + cnorm[a], db = row[b] + cnorm[b];
        return da != db ? da < db : a < b;
      };
      std::partial_sort(lists.begin(), lists.begin() + nprobe, lists.end(), closer);
      for (size_t p = 0; p < nprobe; ++p)
        probes[p] = {lists[p], qn + row[lists[p]] + cnorm[lists[p]]};
      const float* qt = qterm + i * m * 256;
      std::vector<std::pair<float, int64_t>> best =
          u8 ? scan_u8(probes, qt, kk, sl) : scan_float(probes, qt, kk, opt.isa);
      for (size_t j = 0; j < best.size(); ++j)
        out_ids[i * kk + j] = best[j].second, out_scores[i * kk + j] = best[j].first;
    }
  }
}

std::vector<std::pair<float, int64_t>> IvfPqIndex::scan_float(const std::vector<Probe>& probes,
                                                              const float* qterm, size_t kk,
                                                              kernels::cpu::PqIsa isa) const {
  const int64_t m = pq_.m;
  thread_local std::vector<float> lut, buf;
  lut.resize(m * 256);
  TopK<float> heap(kk);
  for (const Probe& pr : probes) {
    const auto& ids = list_ids_[pr.list];
    if (ids.empty()) continue;
    kernels::cpu::pq_add_tables(list_terms_.data() + pr.list * m * 256, qterm, m * 256, lut.data());
    const size_t blocks = kernels::cpu::pq8_blocks(ids.size());
    buf.resize(blocks * kernels::cpu::kPq8Block);
    kernels::cpu::pq8_adc_scan(lut.data(), 1, list_packed_[pr.list].data(), m, 0, blocks,
                               buf.data(), isa);
    // Ids are not ordered across lists: a distance equal to the worst kept one may enter.
    float lim = heap.full() ? heap.worst().first - pr.base : std::numeric_limits<float>::infinity();
    const float* dist = buf.data();
    const int64_t* id = ids.data();
    for (size_t e = 0, size = ids.size(); e < size; ++e)
      if (dist[e] <= lim && heap.accepts(pr.base + dist[e], id[e])) {
        heap.push(pr.base + dist[e], id[e]);
        if (heap.full()) lim = heap.worst().first - pr.base;
      }
  }
  return heap.take_sorted();
}

namespace {

// Candidates of the u8-table scan of one query's probed lists, by approximate distance
// offset + d * unit (unit = 1 / scale), keyed (probe index << 32 | position in its list). As the
// flat index's shortlist: a buffer of 2 keep is cut back to its best keep by nth_element when full,
// and the scan is given the u16 threshold under which a code of the current list can still enter.
// Amortised O(1) per candidate.
struct ProbeSink final : kernels::cpu::PqSink {
  using Cand = std::pair<float, uint64_t>;
  std::vector<Cand> buf;
  size_t keep = 0;
  float worst = std::numeric_limits<float>::infinity();
  float offset = 0, unit = 0, scale = 0;  // approximate distance = offset + d * unit
  uint64_t probe = 0;

  void start_list(uint64_t p, float off) { probe = p, offset = off, update(); }
  void update() {
    // Every d with offset + d / scale <= worst passes: d <= (worst - offset) * scale.
    const float lim = (worst - offset) * scale;
    thr[0] = !(lim < 65534) ? 65535 : lim < 0 ? 0 : static_cast<uint16_t>(lim) + 1;
  }
  void cut() {
    if (buf.size() <= keep) return;
    std::nth_element(buf.begin(), buf.begin() + (keep - 1), buf.end());
    buf.resize(keep);
    worst = buf[keep - 1].first;
  }
  void push(int, size_t pos, uint16_t d) override {
    const float a = offset + d * unit;
    if (a > worst) return;
    buf.emplace_back(a, probe << 32 | pos);
    if (buf.size() < 2 * keep) return;
    cut();
    update();
  }
};

}  // namespace

std::vector<std::pair<float, int64_t>> IvfPqIndex::scan_u8(const std::vector<Probe>& probes,
                                                           const float* qterm, size_t kk,
                                                           size_t shortlist) const {
  const int64_t m = pq_.m, np = static_cast<int64_t>(probes.size());
  thread_local std::vector<float> lo;
  thread_local std::vector<uint8_t> lut8;
  thread_local ProbeSink sink;
  lo.resize(m), lut8.resize(m * 256);
  sink.buf.clear(), sink.keep = shortlist, sink.worst = std::numeric_limits<float>::infinity();
  for (int64_t p = 0; p < np; ++p) {
    const int64_t l = probes[p].list;
    const size_t size = list_ids_[l].size();
    if (size == 0) continue;
    // Each list its own scale (the sink compares lists by approximate float distances), the
    // table read once from memory and then from L1.
    const float* terms = list_terms_.data() + l * m * 256;
    const kernels::cpu::PqU8Table t =
        kernels::cpu::pq_quantize_tables(terms, qterm, m, 256, lo.data(), lut8.data());
    float offset = probes[p].base;
    for (int64_t j = 0; j < m; ++j) offset += lo[j];
    sink.scale = t.scale, sink.unit = t.unit;
    sink.start_list(p, offset);
    kernels::cpu::pq8_u8_scan(lut8.data(), 1, list_packed_[l].data(), m, 0,
                              kernels::cpu::pq8_blocks(size), size, sink,
                              kernels::cpu::PqIsa::Avx512);
  }
  // The shortlist by exact ADC distance (the float path's sums, term by term), ties by id.
  sink.cut();
  TopK<float> heap(kk);
  for (const auto& [approx, key] : sink.buf) {
    const Probe& pr = probes[key >> 32];
    const size_t pos = key & 0xffffffffu;
    const uint8_t* code = list_codes_[pr.list].data() + pos * m;
    const float* terms = list_terms_.data() + pr.list * m * 256;
    float acc = 0;
    for (int64_t j = 0; j < m; ++j) acc += terms[j * 256 + code[j]] + qterm[j * 256 + code[j]];
    heap.push(pr.base + acc, list_ids_[pr.list][pos]);
  }
  return heap.take_sorted();
}

}  // namespace he::retrieval
