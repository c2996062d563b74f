#include "retrieval/float_eval.h"

#include <cblas.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

namespace he::retrieval {

namespace {

constexpr size_t kQueryBlock = 128;

std::vector<float> squared_norms(const float* x, size_t n, size_t d) {
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) {
    float s = 0;
    for (size_t j = 0; j < d; ++j) s += x[i * d + j] * x[i * d + j];
    out[i] = s;
  }
  return out;
}

// A 64-bit key whose ascending order is descending similarity, then ascending index.
uint64_t rank_key(float sim, uint32_t index) {
  if (sim == 0) sim = 0.0f;  // -0 and +0 tie
  uint32_t u;
  std::memcpy(&u, &sim, 4);
  u = (u & 0x80000000u) ? ~u : (u | 0x80000000u);  // ascending float order as unsigned
  return (uint64_t(~u) << 32) | index;
}

struct QueryFigures {
  double map_k, map_all, p_k, r_k;
};

QueryFigures score_query(const float* sims, size_t n, size_t k, const Labels& db_labels,
                         const Labels& query_labels, size_t q, std::vector<uint64_t>& keys) {
  for (size_t i = 0; i < n; ++i) keys[i] = rank_key(sims[i], static_cast<uint32_t>(i));
  std::sort(keys.begin(), keys.end());
  double sum = 0, sum_k = 0;
  size_t hits = 0, hits_k = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i == k) sum_k = sum, hits_k = hits;
    if (query_labels.relevant(q, db_labels, keys[i] & 0xffffffffu)) {
      ++hits;
      sum += double(hits) / double(i + 1);
    }
  }
  if (k == n) sum_k = sum, hits_k = hits;
  // Every relevant item is ranked somewhere, so hits is the total relevant count.
  return {hits_k ? sum_k / hits_k : 0.0, hits ? sum / hits : 0.0, double(hits_k) / k,
          hits ? double(hits_k) / hits : 0.0};
}

}  // namespace

namespace {
void check_labels(const char* what, size_t n, size_t nq, const Labels& db_labels,
                  const Labels& query_labels) {
  auto fail = [&](const std::string& m) {
    throw std::invalid_argument(std::string(what) + ": " + m);
  };
  if (db_labels.size() != n)
    fail(std::to_string(n) + " database rows but " + std::to_string(db_labels.size()) + " labels");
  if (query_labels.size() != nq)
    fail(std::to_string(nq) + " queries but " + std::to_string(query_labels.size()) + " labels");
  if (db_labels.is_multi() != query_labels.is_multi() ||
      db_labels.classes() != query_labels.classes())
    fail("database and query labels differ in kind or class count");
  if (n == 0 || nq == 0) fail("empty database or query set");
  if (n > UINT32_MAX) fail("more than 2^32 database rows");
}
}  // namespace

EvalResult evaluate_scores(size_t n, size_t nq, const ScoreBlock& score, const Labels& db_labels,
                           const Labels& query_labels, const EvalOptions& opt) {
  check_labels("evaluate_scores", n, nq, db_labels, query_labels);
  const size_t k = std::min(opt.k, n);
  const int T = opt.threads > 0 ? opt.threads : omp_get_max_threads();
  std::vector<QueryFigures> per_query(nq);
  std::vector<float> sims(kQueryBlock * n);
  for (size_t q0 = 0; q0 < nq; q0 += kQueryBlock) {
    const size_t qb = std::min(kQueryBlock, nq - q0);
    score(q0, qb, sims.data());
#pragma omp parallel num_threads(T)
    {
      std::vector<uint64_t> keys(n);
#pragma omp for schedule(dynamic, 4)
      for (size_t qi = 0; qi < qb; ++qi)
        per_query[q0 + qi] =
            score_query(&sims[qi * n], n, k, db_labels, query_labels, q0 + qi, keys);
    }
  }
  EvalResult res;
  res.k = k, res.queries = nq, res.database = n, res.bits = 0;
  for (const QueryFigures& f : per_query)
    res.map_k += f.map_k, res.map_all += f.map_all, res.p_k += f.p_k, res.r_k += f.r_k;
  res.map_k /= nq, res.map_all /= nq, res.p_k /= nq, res.r_k /= nq;
  return res;
}

EvalResult evaluate_float(const float* db, size_t n, const float* queries, size_t nq, size_t d,
                          const Labels& db_labels, const Labels& query_labels,
                          const EvalOptions& opt, FloatMetric metric) {
  check_labels("evaluate_float", n, nq, db_labels, query_labels);
  if (d == 0) throw std::invalid_argument("evaluate_float: empty dimension");
  std::vector<float> dbn, qn;
  if (metric == FloatMetric::Cosine) {
    dbn = unit_rows(db, n, d), qn = unit_rows(queries, nq, d);
    db = dbn.data(), queries = qn.data();
  }
  // L2 ranks by the similarity 2 q.x - |x|^2 = |q|^2 - |q - x|^2: the same order.
  std::vector<float> db_sq;
  if (metric == FloatMetric::L2) db_sq = squared_norms(db, n, d);
  const float gemm_scale = metric == FloatMetric::L2 ? 2.0f : 1.0f;
  auto similarity = [&](size_t q0, size_t qb, float* out) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(qb), static_cast<int>(n),
                static_cast<int>(d), gemm_scale, queries + q0 * d, static_cast<int>(d), db,
                static_cast<int>(d), 0.0f, out, static_cast<int>(n));
    if (metric == FloatMetric::L2)
      for (size_t qi = 0; qi < qb; ++qi)
        for (size_t j = 0; j < n; ++j) out[qi * n + j] -= db_sq[j];
  };
  return evaluate_scores(n, nq, similarity, db_labels, query_labels, opt);
}

const char* float_metric_name(FloatMetric m) {
  return m == FloatMetric::Cosine ? "cosine" : m == FloatMetric::InnerProduct ? "ip" : "l2";
}

FloatMetric parse_float_metric(const std::string& name) {
  for (FloatMetric m : {FloatMetric::Cosine, FloatMetric::InnerProduct, FloatMetric::L2})
    if (name == float_metric_name(m)) return m;
  throw std::invalid_argument("metric '" + name + "': choose cosine, ip or l2");
}

std::string float_eval_json(const EvalResult& r, size_t dim, size_t bytes_per_item,
                            FloatMetric metric) {
  nlohmann::ordered_json j;
  j["map@k"] = r.map_k;
  j["map@all"] = r.map_all;
  j["p@k"] = r.p_k;
  j["r@k"] = r.r_k;
  j["k"] = r.k;
  j["queries"] = r.queries;
  j["database"] = r.database;
  j["metric"] = float_metric_name(metric);
  j["dim"] = dim;
  j["bytes_per_item"] = bytes_per_item;
  return j.dump();
}

}  // namespace he::retrieval
