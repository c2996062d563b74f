#include "retrieval/metrics.h"

#include <omp.h>

#include <algorithm>
#include <stdexcept>

#include "kernels/hamming.h"

namespace he::retrieval {

Labels Labels::single(std::vector<int64_t> ids) {
  Labels l;
  l.n_ = ids.size();
  l.single_ = std::move(ids);
  return l;
}

Labels Labels::multi_hot(const uint8_t* v, size_t n, size_t classes) {
  Labels l;
  l.multi_ = true;
  l.n_ = n;
  l.classes_ = classes;
  l.words_ = std::max<size_t>(1, (classes + 63) / 64);
  l.bits_.assign(n * l.words_, 0);
  for (size_t i = 0; i < n; ++i)
    for (size_t c = 0; c < classes; ++c)
      if (v[i * classes + c]) l.bits_[i * l.words_ + c / 64] |= uint64_t{1} << (c % 64);
  return l;
}

EvalResult evaluate_hamming(const PackedCodes& db, const Labels& db_labels,
                            const PackedCodes& queries, const Labels& query_labels,
                            const EvalOptions& opt) {
  const size_t n = db.size(), nq = queries.size();
  const int bits = db.bits();
  auto fail = [](const std::string& m) { throw std::invalid_argument("evaluate_hamming: " + m); };
  if (queries.bits() != bits) fail("database and query codes differ in bit length");
  if (db_labels.size() != n)
    fail(std::to_string(n) + " database codes but " + std::to_string(db_labels.size()) + " labels");
  if (query_labels.size() != nq)
    fail(std::to_string(nq) + " queries but " + std::to_string(query_labels.size()) + " labels");
  if (db_labels.is_multi() != query_labels.is_multi() ||
      db_labels.classes() != query_labels.classes())
    fail("database and query labels differ in kind or class count");
  if (n == 0 || nq == 0) fail("empty database or query set");
  const size_t k = std::min(opt.k, n);
  const size_t W = db.words_per_code();
  const int T = opt.threads > 0 ? opt.threads : omp_get_max_threads();
  EvalResult res;
  res.k = k, res.queries = nq, res.database = n, res.bits = bits;
  // Per-query values are stored and summed in query order afterwards, so the figures are
  // bit-identical for any thread count and schedule (a reduction would add in thread order).
  const size_t R = static_cast<size_t>(bits) + 1;
  std::vector<double> q_map_k(nq), q_map_all(nq), q_p_k(nq), q_r_k(nq), q_p_r2(nq), q_pr_p(nq * R),
      q_pr_r(nq * R);
#pragma omp parallel num_threads(T)
  {
    std::vector<uint16_t> dist(n);
    std::vector<uint8_t> rel(n), ranked(n);
    std::vector<uint32_t> cnt(bits + 2), relcnt(bits + 1);
#pragma omp for schedule(dynamic, 8)
    for (size_t q = 0; q < nq; ++q) {
      kernels::cpu::hamming_distances_row(queries.row(q), db.data(), n, W, dist.data());
      std::fill(cnt.begin(), cnt.end(), 0u);
      std::fill(relcnt.begin(), relcnt.end(), 0u);
      size_t total_rel = 0;
      for (size_t i = 0; i < n; ++i) {
        rel[i] = query_labels.relevant(q, db_labels, i);
        ++cnt[dist[i] + 1];
        relcnt[dist[i]] += rel[i];
        total_rel += rel[i];
      }
      // Set-based metrics from the per-distance counts.
      size_t within = 0, rel_within = 0;
      q_p_r2[q] = 0;
      for (int r = 0; r <= bits; ++r) {
        within += cnt[r + 1];
        rel_within += relcnt[r];
        double prec = within ? double(rel_within) / within : 0.0;
        if (r == 2) q_p_r2[q] = prec;
        q_pr_p[q * R + r] = prec;
        q_pr_r[q * R + r] = total_rel ? double(rel_within) / total_rel : 0.0;
      }
      if (bits < 2) q_p_r2[q] = total_rel ? double(total_rel) / n : 0.0;
      // Counting sort of the relevance flags into rank order (stable: ties by index).
      for (int d = 0; d <= bits; ++d) cnt[d + 1] += cnt[d];
      for (size_t i = 0; i < n; ++i) ranked[cnt[dist[i]]++] = rel[i];
      double sum = 0, sum_k = 0;
      size_t hits = 0, hits_k = 0;
      for (size_t i = 0; i < n; ++i) {
        if (i == k) sum_k = sum, hits_k = hits;
        if (ranked[i]) {
          ++hits;
          sum += double(hits) / double(i + 1);
        }
      }
      if (k == n) sum_k = sum, hits_k = hits;
      q_map_k[q] = hits_k ? sum_k / hits_k : 0.0;
      q_map_all[q] = hits ? sum / hits : 0.0;
      q_p_k[q] = double(hits_k) / k;
      q_r_k[q] = total_rel ? double(hits_k) / total_rel : 0.0;
    }
  }
  auto mean_of = [nq](const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return s / nq;
  };
  res.map_k = mean_of(q_map_k), res.map_all = mean_of(q_map_all), res.p_k = mean_of(q_p_k);
  res.r_k = mean_of(q_r_k), res.p_r2 = mean_of(q_p_r2);
  std::vector<double> pr_p(R, 0.0), pr_r(R, 0.0);
  for (size_t q = 0; q < nq; ++q)
    for (size_t r = 0; r < R; ++r) pr_p[r] += q_pr_p[q * R + r], pr_r[r] += q_pr_r[q * R + r];
  for (size_t r = 0; r < R; ++r) pr_p[r] /= nq, pr_r[r] /= nq;
  res.pr_precision = std::move(pr_p);
  res.pr_recall = std::move(pr_r);
  return res;
}

}  // namespace he::retrieval
