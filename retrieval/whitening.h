#pragma once
// Learned PCA-whitening of real-valued descriptors, fitted without labels on the database
// (Jegou, Chum, 'Negative evidences and co-occurrences in image retrieval', ECCV 2012;
// used on CNN descriptors by Babenko 2015, Tolias 2016 and Radenovic 2018):
//   y = L2( diag(lambda_1..m + shrink)^(-1/2) U_m^T (x - mean) ),
// with U_m the m leading eigenvectors of the covariance of the fitting set and lambda their
// eigenvalues. `shrink` (added to each eigenvalue) keeps near-zero variances from
// blowing up the noise in those directions.
#include <cstddef>
#include <vector>

namespace he::retrieval {

struct PcaWhitening {
  size_t in_dim = 0, out_dim = 0;
  std::vector<float> mean;        // (in_dim)
  std::vector<float> projection;  // (out_dim, in_dim), row-major; rows by falling variance
  std::vector<double> variances;  // (out_dim) the eigenvalues kept, falling

  // x:(n,in_dim) -> (n,out_dim), each row L2-normalised (a zero row stays zero).
  std::vector<float> apply(const float* x, size_t n) const;
};

// x:(n,d) f32 row-major; out_dim in [1, d] (0 = d). Needs n >= 2. Deterministic: eigenvector
// signs are fixed so each column's largest-magnitude entry is positive.
PcaWhitening fit_pca_whitening(const float* x, size_t n, size_t d, size_t out_dim = 0,
                               double shrink = 1e-6);

}  // namespace he::retrieval
