#pragma once
// Product quantiser (Jegou, Douze & Schmid, 'Product quantization for nearest neighbor
// search', TPAMI 2011): a d-dim vector is cut into m sub-vectors of d/m dims, each replaced by
// the index of its nearest of 2^nbits centroids (nbits 8 or 4), learnt by k-means
// (retrieval/kmeans.h) on that subspace. Distances to a query are asymmetric (ADC): the query
// stays exact and meets the centroids through one (m, 2^nbits) table of squared distances.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace he::retrieval {

struct PqTrainOptions {
  int max_iter = 25;                      // Lloyd iterations per subspace
  int64_t max_points_per_centroid = 256;  // training rows are subsampled to this * 2^nbits
  uint64_t seed = 0;
};

struct ProductQuantizer {
  int64_t d = 0, m = 0;
  int nbits = 8;
  std::vector<float> centroids;  // (m, ksub, dsub) row-major

  int64_t dsub() const { return d / m; }
  int64_t ksub() const { return int64_t{1} << nbits; }

  // Checks d % m == 0, nbits in {4, 8} and the centroid count; throws std::invalid_argument
  // naming `what` otherwise.
  void validate(const char* what) const;
  // x:(n,d) f32 -> a trained quantiser. Needs n >= 2^nbits.
  static ProductQuantizer train(const float* x, int64_t n, int64_t d, int64_t m, int nbits,
                                const PqTrainOptions& opt = {});
  // x:(n,d) f32 -> codes:(n,m) u8 (nearest centroid per subspace, ties: the lower index).
  void encode(const float* x, int64_t n, uint8_t* codes) const;
  // codes:(n,m) u8 -> x:(n,d) f32, the reconstructions.
  void decode(const uint8_t* codes, int64_t n, float* x) const;
  // q:(nq,d) f32 -> luts:(nq, m, ksub) f32, luts[q][j][c] = ||q_j - centroid_{j,c}||^2.
  void distance_tables(const float* q, int64_t nq, float* luts) const;
  // ||centroid_{j,c}||^2 for every (j, c): (m, ksub).
  std::vector<float> centroid_norms() const;
};

// Sum of one code's table entries, in subquantiser order (the ADC distance).
inline float adc_distance(const float* lut, const uint8_t* code, int64_t m, int64_t ksub) {
  float s = 0;
  for (int64_t j = 0; j < m; ++j) s += lut[j * ksub + code[j]];
  return s;
}

// Rows of x:(n,d) sampled without replacement from Philox(seed) when n > max_rows, in
// ascending index order; otherwise all rows. -> (rows, d).
std::vector<float> sample_rows(const float* x, int64_t n, int64_t d, int64_t max_rows,
                               uint64_t seed);

}  // namespace he::retrieval
