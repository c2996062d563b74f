#include "retrieval/pq.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>

#include "engine/random.h"
#include "kernels/kmeans.h"
#include "retrieval/kmeans.h"

namespace he::retrieval {

namespace {
// Rows encoded at once: kmeans_assign's (rows, 2^nbits) score block (2 MiB at nbits 8) stays in
// L2 between its GEMM and its arg-min.
constexpr int64_t kEncodeChunk = 2048;

// Sub-vectors j of rows [r0, r0 + rows) of x:(n,d) -> out:(rows, dsub).
void gather_subspace(const float* x, int64_t d, int64_t r0, int64_t rows, int64_t j, int64_t dsub,
                     float* out) {
  for (int64_t i = 0; i < rows; ++i)
    std::copy(x + (r0 + i) * d + j * dsub, x + (r0 + i) * d + (j + 1) * dsub, out + i * dsub);
}
}  // namespace

void ProductQuantizer::validate(const char* what) const {
  if (d < 1 || m < 1 || d % m != 0 || (nbits != 4 && nbits != 8) || m > 65536)
    throw std::invalid_argument(std::string(what) +
                                ": need d % m == 0 and nbits 4 or 8; got d=" + std::to_string(d) +
                                " m=" + std::to_string(m) + " nbits=" + std::to_string(nbits));
  if (static_cast<int64_t>(centroids.size()) != m * ksub() * dsub())
    throw std::invalid_argument(
        std::string(what) + ": " + std::to_string(centroids.size()) +
        " centroid values, expected m * 2^nbits * d/m = " + std::to_string(m * ksub() * dsub()));
}

std::vector<float> sample_rows(const float* x, int64_t n, int64_t d, int64_t max_rows,
                               uint64_t seed) {
  if (n <= max_rows) return std::vector<float>(x, x + n * d);
  std::vector<int64_t> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  Generator gen(seed);
  for (int64_t i = 0; i < max_rows; ++i)  // partial Fisher-Yates
    std::swap(idx[i], idx[i + static_cast<int64_t>(gen.below(static_cast<uint64_t>(n - i)))]);
  std::sort(idx.begin(), idx.begin() + max_rows);
  std::vector<float> out(max_rows * d);
  for (int64_t i = 0; i < max_rows; ++i)
    std::copy(x + idx[i] * d, x + (idx[i] + 1) * d, out.begin() + i * d);
  return out;
}

ProductQuantizer ProductQuantizer::train(const float* x, int64_t n, int64_t d, int64_t m, int nbits,
                                         const PqTrainOptions& opt) {
  ProductQuantizer pq;
  pq.d = d, pq.m = m, pq.nbits = nbits;
  pq.centroids.resize(d >= 1 && m >= 1 ? (int64_t{1} << (nbits == 4 ? 4 : 8)) * d : 0);
  pq.validate("ProductQuantizer::train");
  const int64_t ksub = pq.ksub(), dsub = pq.dsub();
  if (n < ksub)
    throw std::invalid_argument("ProductQuantizer::train: " + std::to_string(n) +
                                " training rows for " + std::to_string(ksub) + " centroids");
  std::vector<float> sample = sample_rows(x, n, d, opt.max_points_per_centroid * ksub, opt.seed);
  const int64_t rows = static_cast<int64_t>(sample.size()) / d;
  // One subspace per thread: a k-means on a few dims is too small to share well, and
  // inside this loop its own parallel regions run on one thread, so the result does not
  // depend on the thread count.
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t j = 0; j < m; ++j) {
    std::vector<float> sub(rows * dsub);
    gather_subspace(sample.data(), d, 0, rows, j, dsub, sub.data());
    KMeansOptions ko;
    ko.k = ksub, ko.max_iter = opt.max_iter, ko.seed = opt.seed + static_cast<uint64_t>(j);
    KMeansResult r = kmeans(sub.data(), rows, dsub, ko);
    std::copy(r.centroids.begin(), r.centroids.end(), pq.centroids.begin() + j * ksub * dsub);
  }
  return pq;
}

void ProductQuantizer::encode(const float* x, int64_t n, uint8_t* codes) const {
  const int64_t ksub = this->ksub(), dsub = this->dsub();
  const int64_t chunks = (n + kEncodeChunk - 1) / kEncodeChunk;
#pragma omp parallel for schedule(dynamic, 1)
  for (int64_t ci = 0; ci < chunks; ++ci) {
    const int64_t r0 = ci * kEncodeChunk, rows = std::min(kEncodeChunk, n - r0);
    std::vector<float> sub(rows * dsub), dist2(rows);
    std::vector<int64_t> assign(rows);
    for (int64_t j = 0; j < m; ++j) {
      gather_subspace(x, d, r0, rows, j, dsub, sub.data());
      kernels::cpu::kmeans_assign(sub.data(), rows, dsub, centroids.data() + j * ksub * dsub, ksub,
                                  assign.data(), dist2.data());
      for (int64_t i = 0; i < rows; ++i) codes[(r0 + i) * m + j] = static_cast<uint8_t>(assign[i]);
    }
  }
}

void ProductQuantizer::decode(const uint8_t* codes, int64_t n, float* x) const {
  const int64_t ksub = this->ksub(), dsub = this->dsub();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < m; ++j) {
      const float* c = centroids.data() + (j * ksub + codes[i * m + j]) * dsub;
      std::copy(c, c + dsub, x + i * d + j * dsub);
    }
}

void ProductQuantizer::distance_tables(const float* q, int64_t nq, float* luts) const {
  const int64_t ksub = this->ksub(), dsub = this->dsub();
#pragma omp parallel for schedule(static) if (nq > 16)
  for (int64_t i = 0; i < nq; ++i)
    for (int64_t j = 0; j < m; ++j) {
      const float* qs = q + i * d + j * dsub;
      float* out = luts + (i * m + j) * ksub;
      for (int64_t c = 0; c < ksub; ++c) {
        const float* cen = centroids.data() + (j * ksub + c) * dsub;
        float s = 0;
        for (int64_t t = 0; t < dsub; ++t) s += (qs[t] - cen[t]) * (qs[t] - cen[t]);
        out[c] = s;
      }
    }
}

std::vector<float> ProductQuantizer::centroid_norms() const {
  const int64_t dsub = this->dsub(), rows = m * ksub();
  std::vector<float> out(rows);
  for (int64_t r = 0; r < rows; ++r) {
    float s = 0;
    for (int64_t t = 0; t < dsub; ++t) s += centroids[r * dsub + t] * centroids[r * dsub + t];
    out[r] = s;
  }
  return out;
}

}  // namespace he::retrieval
