#include "retrieval/query_expansion.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "retrieval/float_search.h"

namespace he::retrieval {

namespace {

double row_norm(const float* x, size_t d) {
  double s = 0;
  for (size_t j = 0; j < d; ++j) s += double(x[j]) * x[j];
  return std::sqrt(s);
}

}  // namespace

std::vector<float> expand_queries(const float* db, size_t n, const float* queries, size_t nq,
                                  size_t d, size_t top, double alpha, int threads) {
  if (top < 1 || top > n || !(alpha >= 0))
    throw std::invalid_argument("expand_queries: need 1 <= top <= n (n=" + std::to_string(n) +
                                ", top=" + std::to_string(top) + ") and alpha >= 0");
  const FloatKnnResult nn = float_knn(db, n, queries, nq, d, top, FloatMetric::Cosine, threads);
  std::vector<float> out(nq * d);
  std::vector<double> acc(d);
  for (size_t q = 0; q < nq; ++q) {
    const double qn = row_norm(queries + q * d, d);
    for (size_t j = 0; j < d; ++j) acc[j] = qn > 0 ? queries[q * d + j] / qn : 0.0;
    for (size_t i = 0; i < top; ++i) {
      const double sim = std::max(0.0, double(nn.scores[q * top + i]));
      const double w = alpha == 0 ? 1.0 : std::pow(sim, alpha);
      const float* x = db + nn.ids[q * top + i] * d;
      const double xn = row_norm(x, d);
      if (xn > 0)
        for (size_t j = 0; j < d; ++j) acc[j] += w * x[j] / xn;
    }
    const double an = std::sqrt([&] {
      double s = 0;
      for (double v : acc) s += v * v;
      return s;
    }());
    for (size_t j = 0; j < d; ++j) out[q * d + j] = an > 0 ? static_cast<float>(acc[j] / an) : 0;
  }
  return out;
}

}  // namespace he::retrieval
