#include "retrieval/whitening.h"

#include <cblas.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "kernels/lapack.h"
#include "retrieval/float_search.h"

namespace he::retrieval {

PcaWhitening fit_pca_whitening(const float* x, size_t n, size_t d, size_t out_dim, double shrink) {
  if (out_dim == 0) out_dim = d;
  if (n < 2 || d == 0 || out_dim > d || !(shrink >= 0))
    throw std::invalid_argument(
        "fit_pca_whitening: need n >= 2, 1 <= out_dim <= d and shrink "
        ">= 0; got n=" +
        std::to_string(n) + ", d=" + std::to_string(d) + ", out_dim=" + std::to_string(out_dim));
  std::vector<double> mean(d, 0.0), centred(n * d), cov(d * d);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < d; ++j) mean[j] += x[i * d + j];
  for (double& m : mean) m /= double(n);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < d; ++j) centred[i * d + j] = x[i * d + j] - mean[j];
  // cov = centred^T centred / n (the population covariance)
  cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, static_cast<int>(d), static_cast<int>(n),
              1.0 / double(n), centred.data(), static_cast<int>(d), 0.0, cov.data(),
              static_cast<int>(d));
  for (size_t i = 0; i < d; ++i)
    for (size_t j = 0; j < i; ++j) cov[i * d + j] = cov[j * d + i];
  std::vector<double> eigval(d), eigvec(d * d);
  kernels::cpu::symmetric_eigen(cov.data(), static_cast<int64_t>(d), eigval.data(), eigvec.data());
  PcaWhitening w;
  w.in_dim = d, w.out_dim = out_dim;
  w.mean.assign(mean.begin(), mean.end());
  w.projection.resize(out_dim * d);
  for (size_t r = 0; r < out_dim; ++r) {
    const size_t col = d - 1 - r;  // eigenvalues come ascending
    const double lambda = std::max(eigval[col], 0.0);
    w.variances.push_back(lambda);
    size_t arg = 0;
    for (size_t j = 1; j < d; ++j)
      if (std::abs(eigvec[j * d + col]) > std::abs(eigvec[arg * d + col])) arg = j;
    const double sign = eigvec[arg * d + col] < 0 ? -1.0 : 1.0;
    const double scale = sign / std::sqrt(lambda + shrink);
    for (size_t j = 0; j < d; ++j)
      w.projection[r * d + j] = static_cast<float>(eigvec[j * d + col] * scale);
  }
  return w;
}

std::vector<float> PcaWhitening::apply(const float* x, size_t n) const {
  std::vector<float> centred(x, x + n * in_dim), y(n * out_dim);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < in_dim; ++j) centred[i * in_dim + j] -= mean[j];
  if (n > 0)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n),
                static_cast<int>(out_dim), static_cast<int>(in_dim), 1.0f, centred.data(),
                static_cast<int>(in_dim), projection.data(), static_cast<int>(in_dim), 0.0f,
                y.data(), static_cast<int>(out_dim));
  normalize_rows(y.data(), n, out_dim);
  return y;
}

}  // namespace he::retrieval
