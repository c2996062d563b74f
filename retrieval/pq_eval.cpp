#include "retrieval/pq_eval.h"

#include <omp.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "retrieval/float_eval.h"

namespace he::retrieval {

EvalResult evaluate_pq(const PqIndex& index, const float* queries, size_t nq,
                       const Labels& db_labels, const Labels& query_labels,
                       const EvalOptions& opt) {
  const size_t n = static_cast<size_t>(index.size());
  if (n == 0) throw std::invalid_argument("evaluate_pq: the index holds no database codes");
  const ProductQuantizer& pq = index.quantizer();
  const int64_t d = pq.d, m = pq.m, ksub = pq.ksub();
  const uint8_t* codes = index.codes().data();
  const int T = opt.threads > 0 ? opt.threads : omp_get_max_threads();
  std::vector<float> luts;
  // Similarity = minus the ADC distance, summed over subquantisers in order as the scans do.
  auto score = [&](size_t q0, size_t qb, float* out) {
    const std::vector<float> qr =
        rotate_queries(queries + q0 * d, static_cast<int64_t>(qb), d, index.rotation());
    luts.resize(qb * m * ksub);
    pq.distance_tables(qr.data(), static_cast<int64_t>(qb), luts.data());
#pragma omp parallel for num_threads(T) schedule(static)
    for (size_t qi = 0; qi < qb; ++qi) {
      const float* lut = &luts[qi * m * ksub];
      float* row = out + qi * n;
      for (size_t i = 0; i < n; ++i) row[i] = -adc_distance(lut, codes + i * m, m, ksub);
    }
  };
  return evaluate_scores(n, nq, score, db_labels, query_labels, opt);
}

size_t pq_code_bytes(const ProductQuantizer& pq) {
  return static_cast<size_t>((pq.m * pq.nbits + 7) / 8);
}

}  // namespace he::retrieval
