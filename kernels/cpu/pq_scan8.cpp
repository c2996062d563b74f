// ADC scan for 8-bit PQ codes (kernels/pq.h): each code row is loaded once and looked up in
// the tables of a whole group of queries, so a block of codes streamed from memory serves
// several queries. The sum over subquantisers runs in order m = 0, 1, ... for every query.
#include <stdexcept>
#include <string>

#include "kernels/pq.h"

namespace he::kernels::cpu {

namespace {

// Q queries at once, M subquantisers (0 = run-time m).
template <int Q, int M>
void scan(const float* luts, const uint8_t* codes, size_t n, size_t m_rt, float* out) {
  const size_t m = M > 0 ? static_cast<size_t>(M) : m_rt;
  const size_t qstride = m * 256;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* c = codes + i * m;
    float acc[Q] = {};
    for (size_t j = 0; j < m; ++j) {
      const float* t = luts + j * 256 + c[j];
      for (int q = 0; q < Q; ++q) acc[q] += t[q * qstride];
    }
    for (int q = 0; q < Q; ++q) out[q * n + i] = acc[q];
  }
}

template <int Q>
void scan_m(const float* luts, const uint8_t* codes, size_t n, size_t m, float* out) {
  switch (m) {
    case 8:
      return scan<Q, 8>(luts, codes, n, m, out);
    case 16:
      return scan<Q, 16>(luts, codes, n, m, out);
    case 32:
      return scan<Q, 32>(luts, codes, n, m, out);
    default:
      return scan<Q, 0>(luts, codes, n, m, out);
  }
}

}  // namespace

void pq8_adc_scan(const float* luts, size_t nq, const uint8_t* codes, size_t n, size_t m,
                  float* out) {
  if (m == 0) throw std::invalid_argument("pq8_adc_scan: m must be > 0");
  // Groups of up to 4 queries keep the accumulators in registers.
  for (size_t q0 = 0; q0 < nq; q0 += 4) {
    const float* l = luts + q0 * m * 256;
    float* o = out + q0 * n;
    switch (nq - q0 >= 4 ? 4 : nq - q0) {
      case 4:
        scan_m<4>(l, codes, n, m, o);
        break;
      case 3:
        scan_m<3>(l, codes, n, m, o);
        break;
      case 2:
        scan_m<2>(l, codes, n, m, o);
        break;
      default:
        scan_m<1>(l, codes, n, m, o);
        break;
    }
  }
}

}  // namespace he::kernels::cpu
