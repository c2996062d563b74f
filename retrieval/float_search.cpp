#include "retrieval/float_search.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

namespace he::retrieval {

namespace {

// A task is one query block against one database block: its GEMM runs single-threaded
// inside the parallel region (OpenBLAS does not nest) and its scores (2 MB) are selected from
// while they are in cache. Threads take database blocks dynamically and keep their own heaps,
// so a slow thread on a busy machine holds nobody up until the merge.
constexpr size_t kQueryBlock = 512, kDbBlock = 1024;

// Max-heap on (key, id): the root is the worst kept candidate (smaller key is better).
using Cand = std::pair<float, int64_t>;

// The key of database row j (smaller is better): -similarity, or |x|^2 - 2 q.x for L2.
inline float key_of(const float* s, const float* db_norm, size_t j) {
  return db_norm ? db_norm[j] - 2.0f * s[j] : -s[j];
}

// Adds the scores s:(bb) of database rows [b0, b0 + bb) to heap h of at most k candidates.
// A candidate enters when its (key, id) is below the worst kept one, so equal keys keep the
// smaller ids whatever order the blocks arrive in (OpenMP's dynamic schedule promises no
// order). Once the heap is full, most chunks of 16 hold no key at or below its worst: a
// branch-free minimum over the chunk (vectorised) skips them.
void select_block(std::vector<Cand>& h, size_t k, const float* s, size_t b0, size_t bb,
                  const float* db_norm) {
  constexpr size_t kChunk = 16;
  const float* norms = db_norm ? db_norm + b0 : nullptr;
  for (size_t c0 = 0; c0 < bb; c0 += kChunk) {
    const size_t c1 = std::min(bb, c0 + kChunk);
    if (h.size() == k) {
      float lo = INFINITY;
      for (size_t j = c0; j < c1; ++j) lo = std::min(lo, key_of(s, norms, j));
      if (!(lo <= h.front().first)) continue;
    }
    for (size_t j = c0; j < c1; ++j) {
      const Cand c{key_of(s, norms, j), static_cast<int64_t>(b0 + j)};
      if (h.size() < k) {
        h.push_back(c);
        std::push_heap(h.begin(), h.end());
      } else if (c < h.front()) {
        std::pop_heap(h.begin(), h.end());
        h.back() = c;
        std::push_heap(h.begin(), h.end());
      }
    }
  }
}

}  // namespace

void normalize_rows(float* x, size_t n, size_t d) {
  for (size_t i = 0; i < n; ++i) {
    double s = 0;
    for (size_t j = 0; j < d; ++j) s += double(x[i * d + j]) * x[i * d + j];
    const float inv = s > 0 ? static_cast<float>(1.0 / std::sqrt(s)) : 0.0f;
    for (size_t j = 0; j < d; ++j) x[i * d + j] *= inv;
  }
}

std::vector<float> unit_rows(const float* x, size_t n, size_t d) {
  std::vector<float> out(x, x + n * d);
  normalize_rows(out.data(), n, d);
  return out;
}

FloatKnnResult float_knn(const float* db, size_t n, const float* queries, size_t nq, size_t d,
                         size_t k, FloatMetric metric, int threads) {
  if (k < 1 || k > n)
    throw std::invalid_argument("float_knn: k=" + std::to_string(k) +
                                " must be in [1, n=" + std::to_string(n) + "]");
  if (d == 0) throw std::invalid_argument("float_knn: dimension d must be > 0");
  std::vector<float> dbn, qn;
  if (metric == FloatMetric::Cosine) {
    dbn = unit_rows(db, n, d), qn = unit_rows(queries, nq, d);
    db = dbn.data(), queries = qn.data();
  }
  std::vector<float> db_norm;  // |x|^2 for L2
  if (metric == FloatMetric::L2) {
    db_norm.resize(n);
    for (size_t i = 0; i < n; ++i) {
      float s = 0;
      for (size_t j = 0; j < d; ++j) s += db[i * d + j] * db[i * d + j];
      db_norm[i] = s;
    }
  }
  const float* norms = metric == FloatMetric::L2 ? db_norm.data() : nullptr;
  const int T = threads > 0 ? threads : omp_get_max_threads();
  FloatKnnResult res{nq, k, std::vector<int64_t>(nq * k), std::vector<float>(nq * k)};
  const size_t blocks = (n + kDbBlock - 1) / kDbBlock;
  // heaps[t * kQueryBlock + qi]: thread t's candidates for query q0 + qi.
  std::vector<std::vector<Cand>> heaps(static_cast<size_t>(T) * kQueryBlock);
  for (size_t q0 = 0; q0 < nq; q0 += kQueryBlock) {
    const size_t qb = std::min(kQueryBlock, nq - q0);
    for (auto& h : heaps) h.clear();
#pragma omp parallel num_threads(T)
    {
      std::vector<float> S(qb * kDbBlock);
      std::vector<Cand>* mine = &heaps[static_cast<size_t>(omp_get_thread_num()) * kQueryBlock];
#pragma omp for schedule(dynamic, 1)
      for (size_t b = 0; b < blocks; ++b) {
        const size_t b0 = b * kDbBlock, bb = std::min(kDbBlock, n - b0);
        // S = Q_block (qb x d) * DB_block^T (d x bb)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(qb),
                    static_cast<int>(bb), static_cast<int>(d), 1.0f, queries + q0 * d,
                    static_cast<int>(d), db + b0 * d, static_cast<int>(d), 0.0f, S.data(),
                    static_cast<int>(bb));
        for (size_t qi = 0; qi < qb; ++qi) select_block(mine[qi], k, &S[qi * bb], b0, bb, norms);
      }
    }
    // Merge the threads' heaps: the k best (key, id) of their union.
#pragma omp parallel for num_threads(T) schedule(static)
    for (size_t qi = 0; qi < qb; ++qi) {
      std::vector<Cand> all;
      for (int t = 0; t < T; ++t) {
        const auto& h = heaps[static_cast<size_t>(t) * kQueryBlock + qi];
        all.insert(all.end(), h.begin(), h.end());
      }
      std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k), all.end());
      const size_t q = q0 + qi;
      float qn2 = 0;
      if (metric == FloatMetric::L2)
        for (size_t j = 0; j < d; ++j) qn2 += queries[q * d + j] * queries[q * d + j];
      for (size_t j = 0; j < k; ++j) {
        res.ids[q * k + j] = all[j].second;
        res.scores[q * k + j] =
            metric == FloatMetric::L2 ? std::max(0.0f, all[j].first + qn2) : -all[j].first;
      }
    }
  }
  return res;
}

}  // namespace he::retrieval
