#include "retrieval/pq_index.h"

#include <omp.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>

#include "retrieval/opq.h"
#include "retrieval/pq_topk.h"

namespace he::retrieval {

namespace kc = kernels::cpu;

namespace {

// nbits 8, float tables: queries per group and codes per block; a group's tables (kGroup8 x m
// KiB) sit in L1/L2 while each block of codes (m KiB) is read from memory once for the group.
constexpr int64_t kGroup8 = 2, kBlock8 = 1024;
// nbits 8, u8 tables: queries per task and codes per chunk; a chunk of codes (16 m KiB) stays
// in L2 while the task's groups of kPqMaxQueries queries (m/4 KiB of tables each) scan it, so
// the database streams from memory once per kTask8 queries.
constexpr int64_t kTask8 = 32, kChunk8 = 16384;
// Queries whose tables are built at once (m KiB each at nbits 8).
constexpr int64_t kQueryChunk = 1024;

int thread_count(int threads) { return threads > 0 ? threads : omp_get_max_threads(); }

// Float tables (m,ksub) -> u8 tables (mp,ksub): per subquantiser minus its minimum, one scale
// for all so that the largest span maps to 255; padding subquantisers are 0.
void quantize_tables(const float* lut, int64_t m, int64_t ksub, size_t mp, uint8_t* out) {
  std::vector<float> lo(m);
  kc::pq_quantize_tables(lut, nullptr, m, ksub, lo.data(), out);
  std::fill(out + m * ksub, out + mp * ksub, uint8_t{0});
}

// The shortlist's ids ordered by the float tables: exact ADC distances, ties by id; the best k
// go to ids, scores:(k).
void order_shortlist(const std::vector<int64_t>& shortlist, const float* lut, int64_t m,
                     int64_t ksub, const std::function<void(int64_t, uint8_t*)>& code_of, size_t k,
                     int64_t* ids, float* scores) {
  std::vector<std::pair<float, int64_t>> cand;
  std::vector<uint8_t> code(m);
  for (int64_t id : shortlist) {
    code_of(id, code.data());
    cand.emplace_back(adc_distance(lut, code.data(), m, ksub), id);
  }
  std::partial_sort(cand.begin(), cand.begin() + k, cand.end());
  for (size_t j = 0; j < k; ++j) ids[j] = cand[j].second, scores[j] = cand[j].first;
}

// Each query's best `keep` candidates by quantised distance, ties by id. Candidates under the
// threshold are appended to a buffer of 2 keep keys (distance << 40 | id, so key order is
// (distance, id) order); a full buffer is cut back to its keep smallest keys and the threshold
// drops to the largest distance kept. Amortised O(1) per candidate, where a heap costs
// O(log keep) on every one.
struct ShortlistSink final : kc::PqSink {
  static constexpr int kIdBits = 40;
  size_t keep = 0;
  std::vector<uint64_t> keys[kc::kPqMaxQueries];

  void reset(int q, size_t keep_) {
    keep = keep_, keys[q].clear(), keys[q].reserve(2 * keep);
    thr[q] = std::numeric_limits<uint16_t>::max();
  }
  void push(int q, size_t code, uint16_t d) override {
    keys[q].push_back(uint64_t{d} << kIdBits | code);
    if (keys[q].size() < 2 * keep) return;
    std::nth_element(keys[q].begin(), keys[q].begin() + (keep - 1), keys[q].end());
    keys[q].resize(keep);
    thr[q] = static_cast<uint16_t>(keys[q][keep - 1] >> kIdBits);
  }
  // The kept ids, best first.
  std::vector<int64_t> ids(int q) {
    std::sort(keys[q].begin(), keys[q].end());
    std::vector<int64_t> out;
    for (size_t i = 0; i < std::min(keep, keys[q].size()); ++i)
      out.push_back(static_cast<int64_t>(keys[q][i] & ((uint64_t{1} << kIdBits) - 1)));
    return out;
  }
};

}  // namespace

PqIndex::PqIndex(ProductQuantizer pq, std::vector<float> rotation)
    : pq_(std::move(pq)), rotation_(std::move(rotation)) {
  pq_.validate("PqIndex");
  if (!rotation_.empty() && static_cast<int64_t>(rotation_.size()) != pq_.d * pq_.d)
    throw std::invalid_argument("PqIndex: rotation has " + std::to_string(rotation_.size()) +
                                " values, expected d*d = " + std::to_string(pq_.d * pq_.d));
  if (pq_.nbits == 4 && pq_.m > 256)
    throw std::invalid_argument("PqIndex: 4-bit codes allow m <= 256, got " +
                                std::to_string(pq_.m));
}

PqIndex PqIndex::train(const float* x, int64_t n, int64_t d, int64_t m, int nbits, bool opq,
                       uint64_t seed) {
  std::vector<float> rotation;
  PqTrainOptions po;
  po.seed = seed;
  if (!opq) return PqIndex(ProductQuantizer::train(x, n, d, m, nbits, po), {});
  OpqOptions oo;
  oo.seed = seed;
  rotation = train_opq(x, n, d, m, nbits, oo).rotation;
  std::vector<float> xs = sample_rows(x, n, d, po.max_points_per_centroid << nbits, seed);
  const int64_t rows = static_cast<int64_t>(xs.size()) / d;
  std::vector<float> xr(xs.size());
  apply_rotation(xs.data(), rows, d, rotation.data(), xr.data());
  return PqIndex(ProductQuantizer::train(xr.data(), rows, d, m, nbits, po), std::move(rotation));
}

void PqIndex::add(const float* x, int64_t n) {
  std::vector<uint8_t> codes = codes_;
  codes.resize((n_ + n) * pq_.m);
  std::vector<float> xr = rotate_queries(x, n, pq_.d, rotation_);
  pq_.encode(xr.data(), n, codes.data() + n_ * pq_.m);
  set_codes(std::move(codes));
}

void PqIndex::set_codes(std::vector<uint8_t> codes) {
  if (codes.size() % pq_.m != 0)
    throw std::invalid_argument("PqIndex::set_codes: " + std::to_string(codes.size()) +
                                " bytes is not a multiple of m=" + std::to_string(pq_.m));
  for (uint8_t c : codes)
    if (c >= pq_.ksub())
      throw std::invalid_argument("PqIndex::set_codes: code value " + std::to_string(c) +
                                  " >= 2^nbits");
  codes_ = std::move(codes);
  n_ = static_cast<int64_t>(codes_.size()) / pq_.m;
  packed_.clear();
  if (pq_.nbits == 8) {
    packed_.resize(kc::pq8_blocks(n_) * pq_.m * kc::kPq8Block);
    kc::pq8_pack(codes_.data(), n_, pq_.m, packed_.data());
  } else {
    packed_.resize(kc::pq4_blocks(n_) * kc::pq4_padded_m(pq_.m) * 16);
    kc::pq4_pack(codes_.data(), n_, pq_.m, packed_.data());
  }
}

std::vector<float> rotate_queries(const float* q, int64_t nq, int64_t d,
                                  const std::vector<float>& rotation) {
  std::vector<float> out(q, q + nq * d);
  if (!rotation.empty()) apply_rotation(q, nq, d, rotation.data(), out.data());
  return out;
}

FloatKnnResult PqIndex::search(const float* q, int64_t nq, const PqSearchOptions& opt) const {
  const size_t k = opt.k;
  if (k < 1 || static_cast<int64_t>(k) > n_)
    throw std::invalid_argument("PqIndex::search: k=" + std::to_string(k) +
                                " must be in [1, n=" + std::to_string(n_) + "]");
  const bool rerank = opt.originals && opt.rerank > 0;
  const size_t kk = rerank ? std::min<size_t>(std::max(k, opt.rerank), n_) : k;
  const int T = thread_count(opt.threads);
  FloatKnnResult r{static_cast<size_t>(nq), kk, std::vector<int64_t>(nq * kk),
                   std::vector<float>(nq * kk)};
  std::vector<float> luts;
  for (int64_t q0 = 0; q0 < nq; q0 += kQueryChunk) {  // bounded table memory
    const int64_t cq = std::min(kQueryChunk, nq - q0);
    std::vector<float> qr = rotate_queries(q + q0 * pq_.d, cq, pq_.d, rotation_);
    luts.resize(cq * pq_.m * pq_.ksub());
    pq_.distance_tables(qr.data(), cq, luts.data());
    int64_t* ids = r.ids.data() + q0 * kk;
    float* scores = r.scores.data() + q0 * kk;
    if (pq_.nbits == 8 && pq8_uses_u8_tables(pq_.m, opt.isa))
      search8_u8(luts.data(), cq, kk, opt, T, ids, scores);
    else if (pq_.nbits == 8)
      search8(luts.data(), cq, kk, T, opt.isa, ids, scores);
    else
      search4(luts.data(), cq, kk, opt, T, ids, scores);
  }
  return rerank ? rerank_exact(r, q, opt.originals, pq_.d, k, T) : r;
}

void PqIndex::search8(const float* luts, int64_t nq, size_t k, int T, kc::PqIsa isa, int64_t* ids,
                      float* scores) const {
  const int64_t m = pq_.m, groups = (nq + kGroup8 - 1) / kGroup8;
#pragma omp parallel num_threads(T)
  {
    std::vector<float> buf(kGroup8 * kBlock8);
    std::vector<TopK<float>> heaps(kGroup8);
#pragma omp for schedule(dynamic, 1)
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t q0 = g * kGroup8, gq = std::min(kGroup8, nq - q0);
      for (int64_t i = 0; i < gq; ++i) heaps[i].reset(k);
      std::vector<float> thr(gq, std::numeric_limits<float>::infinity());
      for (int64_t b0 = 0; b0 < n_; b0 += kBlock8) {
        const int64_t bb = std::min(kBlock8, n_ - b0);
        const size_t blk0 = b0 / kc::kPq8Block, blk1 = kc::pq8_blocks(b0 + bb);
        kc::pq8_adc_scan(luts + q0 * m * 256, gq, packed_.data(), m, blk0, blk1, buf.data(), isa);
        for (int64_t i = 0; i < gq; ++i) {
          const float* d = buf.data() + i * (blk1 - blk0) * kc::kPq8Block;
          // Ids ascend, so a distance equal to the worst kept one never enters.
          for (int64_t j = 0; j < bb; ++j)
            if (d[j] < thr[i]) {
              heaps[i].push(d[j], b0 + j);
              if (heaps[i].full()) thr[i] = heaps[i].worst().first;
            }
        }
      }
      for (int64_t i = 0; i < gq; ++i) {
        auto best = heaps[i].take_sorted();
        for (size_t j = 0; j < k; ++j)
          ids[(q0 + i) * k + j] = best[j].second, scores[(q0 + i) * k + j] = best[j].first;
      }
    }
  }
}

bool pq8_uses_u8_tables(int64_t m, kc::PqIsa isa) {
  return m <= 256 && (isa == kc::PqIsa::Auto || isa == kc::PqIsa::Avx512) &&
         kc::pq8_u8_supported(kc::PqIsa::Avx512);
}

size_t PqIndex::shortlist_size(size_t k, const PqSearchOptions& opt) const {
  return std::min<size_t>(std::max(k, opt.shortlist ? opt.shortlist : k), n_);
}

void PqIndex::search8_u8(const float* luts, int64_t nq, size_t k, const PqSearchOptions& opt, int T,
                         int64_t* ids, float* scores) const {
  const int64_t m = pq_.m, G = kc::kPqMaxQueries, tasks = (nq + kTask8 - 1) / kTask8;
  const size_t sl = shortlist_size(k, opt), blocks = kc::pq8_blocks(n_);
  const size_t chunk = kChunk8 / kc::kPq8Block;
  auto code_of = [&](int64_t id, uint8_t* code) { std::copy_n(codes_.data() + id * m, m, code); };
#pragma omp parallel num_threads(T)
  {
    std::vector<uint8_t> lut8(kTask8 * m * 256);
    std::vector<ShortlistSink> sinks(kTask8 / G);
#pragma omp for schedule(dynamic, 1)
    for (int64_t t = 0; t < tasks; ++t) {
      const int64_t q0 = t * kTask8, tq = std::min(kTask8, nq - q0);
      for (int64_t i = 0; i < tq; ++i) {
        quantize_tables(luts + (q0 + i) * m * 256, m, 256, m, lut8.data() + i * m * 256);
        sinks[i / G].reset(static_cast<int>(i % G), sl);
      }
      for (size_t c0 = 0; c0 < blocks; c0 += chunk)
        for (int64_t g = 0; g * G < tq; ++g)
          kc::pq8_u8_scan(lut8.data() + g * G * m * 256, std::min(G, tq - g * G), packed_.data(), m,
                          c0, std::min(blocks, c0 + chunk), n_, sinks[g], kc::PqIsa::Avx512);
      for (int64_t i = 0; i < tq; ++i)
        order_shortlist(sinks[i / G].ids(static_cast<int>(i % G)), luts + (q0 + i) * m * 256, m,
                        256, code_of, k, ids + (q0 + i) * k, scores + (q0 + i) * k);
    }
  }
}

void PqIndex::search4(const float* luts, int64_t nq, size_t k, const PqSearchOptions& opt, int T,
                      int64_t* ids, float* scores) const {
  const int64_t m = pq_.m;
  const size_t mp = kc::pq4_padded_m(m), blocks = kc::pq4_blocks(n_), sl = shortlist_size(k, opt);
  const int64_t G = kc::kPqMaxQueries, groups = (nq + G - 1) / G;
  auto code_of = [&](int64_t id, uint8_t* code) {
    kc::pq4_unpack_one(packed_.data(), id, m, code);
  };
#pragma omp parallel num_threads(T)
  {
    std::vector<uint8_t> lut8(G * mp * 16);
    ShortlistSink sink;
#pragma omp for schedule(dynamic, 1)
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t q0 = g * G, gq = std::min(G, nq - q0);
      for (int64_t i = 0; i < gq; ++i) {
        quantize_tables(luts + (q0 + i) * m * 16, m, 16, mp, lut8.data() + i * mp * 16);
        sink.reset(static_cast<int>(i), sl);
      }
      kc::pq4_scan(lut8.data(), gq, packed_.data(), mp, 0, blocks, n_, sink, opt.isa);
      for (int64_t i = 0; i < gq; ++i)
        order_shortlist(sink.ids(static_cast<int>(i)), luts + (q0 + i) * m * 16, m, 16, code_of, k,
                        ids + (q0 + i) * k, scores + (q0 + i) * k);
    }
  }
}

FloatKnnResult rerank_exact(const FloatKnnResult& r, const float* queries, const float* originals,
                            int64_t d, size_t keep, int threads) {
  if (keep > r.k) throw std::invalid_argument("rerank_exact: keep > shortlist");
  FloatKnnResult out{r.nq, keep, std::vector<int64_t>(r.nq * keep),
                     std::vector<float>(r.nq * keep)};
#pragma omp parallel for num_threads(thread_count(threads)) schedule(static)
  for (int64_t q = 0; q < static_cast<int64_t>(r.nq); ++q) {
    std::vector<std::pair<float, int64_t>> c(r.k);
    for (size_t j = 0; j < r.k; ++j) {
      const int64_t id = r.ids[q * r.k + j];
      if (id < 0) {  // an IVF probe found fewer than k candidates
        c[j] = {std::numeric_limits<float>::infinity(), id};
        continue;
      }
      const float* x = originals + id * d;
      float s = 0;
      for (int64_t t = 0; t < d; ++t)
        s += (queries[q * d + t] - x[t]) * (queries[q * d + t] - x[t]);
      c[j] = {s, id};
    }
    std::partial_sort(c.begin(), c.begin() + keep, c.end());
    for (size_t j = 0; j < keep; ++j)
      out.ids[q * keep + j] = c[j].second, out.scores[q * keep + j] = c[j].first;
  }
  return out;
}

}  // namespace he::retrieval
