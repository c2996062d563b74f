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

constexpr size_t kQueryBlock = 256, kDbBlock = 4096;

std::vector<float> normalized(const float* x, size_t n, size_t d) {
  std::vector<float> out(x, x + n * d);
  for (size_t i = 0; i < n; ++i) {
    double s = 0;
    for (size_t j = 0; j < d; ++j) s += double(out[i * d + j]) * out[i * d + j];
    const float inv = s > 0 ? static_cast<float>(1.0 / std::sqrt(s)) : 0.0f;
    for (size_t j = 0; j < d; ++j) out[i * d + j] *= inv;
  }
  return out;
}

// Max-heap on (key, id): the root is the worst kept candidate (smaller key is better).
using Cand = std::pair<float, int64_t>;

}  // namespace

FloatKnnResult float_knn(const float* db, size_t n, const float* queries, size_t nq, size_t d,
                         size_t k, FloatMetric metric, int threads) {
  if (k < 1 || k > n)
    throw std::invalid_argument("float_knn: k=" + std::to_string(k) +
                                " must be in [1, n=" + std::to_string(n) + "]");
  if (d == 0) throw std::invalid_argument("float_knn: dimension d must be > 0");
  std::vector<float> dbn, qn;
  if (metric == FloatMetric::Cosine) {
    dbn = normalized(db, n, d), qn = normalized(queries, nq, d);
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
  const int T = threads > 0 ? threads : omp_get_max_threads();
  FloatKnnResult res{nq, k, std::vector<int64_t>(nq * k), std::vector<float>(nq * k)};
  std::vector<std::vector<Cand>> heaps(nq);
  std::vector<float> S(kQueryBlock * kDbBlock);
  for (size_t q0 = 0; q0 < nq; q0 += kQueryBlock) {
    const size_t qb = std::min(kQueryBlock, nq - q0);
    for (size_t b0 = 0; b0 < n; b0 += kDbBlock) {
      const size_t bb = std::min(kDbBlock, n - b0);
      // S = Q_block (qb x d) * DB_block^T (d x bb)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(qb),
                  static_cast<int>(bb), static_cast<int>(d), 1.0f, queries + q0 * d,
                  static_cast<int>(d), db + b0 * d, static_cast<int>(d), 0.0f, S.data(),
                  static_cast<int>(bb));
#pragma omp parallel for num_threads(T) schedule(static)
      for (size_t qi = 0; qi < qb; ++qi) {
        auto& h = heaps[q0 + qi];
        const float* s = &S[qi * bb];
        for (size_t j = 0; j < bb; ++j) {
          // key: smaller is better. Later ids with an equal key never displace earlier ones.
          float key = metric == FloatMetric::L2 ? db_norm[b0 + j] - 2.0f * s[j] : -s[j];
          if (h.size() < k) {
            h.emplace_back(key, static_cast<int64_t>(b0 + j));
            std::push_heap(h.begin(), h.end());
          } else if (key < h.front().first) {
            std::pop_heap(h.begin(), h.end());
            h.back() = {key, static_cast<int64_t>(b0 + j)};
            std::push_heap(h.begin(), h.end());
          }
        }
      }
    }
  }
#pragma omp parallel for num_threads(T) schedule(static)
  for (size_t q = 0; q < nq; ++q) {
    auto& h = heaps[q];
    std::sort(h.begin(), h.end());
    float qn2 = 0;
    if (metric == FloatMetric::L2)
      for (size_t j = 0; j < d; ++j) qn2 += queries[q * d + j] * queries[q * d + j];
    for (size_t j = 0; j < k; ++j) {
      res.ids[q * k + j] = h[j].second;
      res.scores[q * k + j] =
          metric == FloatMetric::L2 ? std::max(0.0f, h[j].first + qn2) : -h[j].first;
    }
  }
  return res;
}

}  // namespace he::retrieval
