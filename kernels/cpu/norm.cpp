#include "kernels/norm.h"

#include <cmath>
#include <vector>

#include "kernels/cpu/strided_loop.h"

namespace he::kernels::cpu {

namespace {
// Sum of one row: T lanes vectorise (omp simd), the caller adds rows up in double.
template <class T>
T row_sum(const T* p, int64_t s) {
  T acc = 0;
#pragma omp simd reduction(+ : acc)
  for (int64_t k = 0; k < s; ++k) acc += p[k];
  return acc;
}
template <class T>
T row_sq_dev(const T* p, int64_t s, T mu) {
  T acc = 0;
#pragma omp simd reduction(+ : acc)
  for (int64_t k = 0; k < s; ++k) acc += (p[k] - mu) * (p[k] - mu);
  return acc;
}
}  // namespace

template <class T>
void channel_sum(const T* x, T* out, int64_t n, int64_t c, int64_t s) {
#pragma omp parallel for schedule(static) if (n * c * s >= kParallelGrain)
  for (int64_t ch = 0; ch < c; ++ch) {
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += row_sum(x + (i * c + ch) * s, s);
    out[ch] = static_cast<T>(sum);
  }
}

template <class T>
void batch_norm_train(const T* x, const T* w, const T* b, T* y, T* mean, T* invstd, T* var,
                      int64_t n, int64_t c, int64_t s, double eps) {
  const double m = static_cast<double>(n * s);
#pragma omp parallel for schedule(static) if (n * c * s >= kParallelGrain)
  for (int64_t ch = 0; ch < c; ++ch) {
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < n; ++i) sum += row_sum(x + (i * c + ch) * s, s);
    const double mu = sum / m;
    // Two passes: exact for large means, unlike E[x^2] - mu^2.
    for (int64_t i = 0; i < n; ++i) sq += row_sq_dev(x + (i * c + ch) * s, s, static_cast<T>(mu));
    const double v = sq / m, is = 1.0 / std::sqrt(v + eps);
    mean[ch] = static_cast<T>(mu), invstd[ch] = static_cast<T>(is), var[ch] = static_cast<T>(v);
    const T scale = static_cast<T>(is * (w ? static_cast<double>(w[ch]) : 1.0));
    const T shift = static_cast<T>((b ? static_cast<double>(b[ch]) : 0.0) - mu * scale);
    for (int64_t i = 0; i < n; ++i) {
      const T* p = x + (i * c + ch) * s;
      T* q = y + (i * c + ch) * s;
#pragma omp simd
      for (int64_t k = 0; k < s; ++k) q[k] = p[k] * scale + shift;
    }
  }
}

template <class T>
void channel_affine(const T* x, const T* scale, const T* shift, T* y, int64_t n, int64_t c,
                    int64_t s) {
#pragma omp parallel for collapse(2) schedule(static) if (n * c * s >= kParallelGrain)
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch) {
      const T* p = x + (i * c + ch) * s;
      T* q = y + (i * c + ch) * s;
      const T a = scale[ch], b = shift[ch];
      for (int64_t k = 0; k < s; ++k) q[k] = p[k] * a + b;
    }
}

template <class T>
void batch_norm_grad_sums(const T* dy, const T* x, const T* mean, double* sum_dy, double* sum_dy_xc,
                          int64_t n, int64_t c, int64_t s) {
#pragma omp parallel for schedule(static) if (n * c * s >= kParallelGrain)
  for (int64_t ch = 0; ch < c; ++ch) {
    const T muT = mean[ch];
    double sa = 0, sb = 0;  // rows in T lanes, added up in double
    for (int64_t i = 0; i < n; ++i) {
      const T* g = dy + (i * c + ch) * s;
      const T* p = x + (i * c + ch) * s;
      T a = 0, b = 0;
#pragma omp simd reduction(+ : a, b)
      for (int64_t k = 0; k < s; ++k) {
        a += g[k];
        b += g[k] * (p[k] - muT);
      }
      sa += a, sb += b;
    }
    sum_dy[ch] = sa, sum_dy_xc[ch] = sb;
  }
}

template <class T>
void batch_norm_input_grad(const T* dy, const T* x, const T* w, const T* mean, const T* invstd,
                           const double* sum_dy, const double* sum_dy_xhat, double m, T* dx,
                           int64_t n, int64_t c, int64_t s) {
#pragma omp parallel for schedule(static) if (n * c * s >= kParallelGrain)
  for (int64_t ch = 0; ch < c; ++ch) {
    const double is = invstd[ch], wc = w ? static_cast<double>(w[ch]) : 1.0;
    const T k1 = static_cast<T>(wc * is), k2 = static_cast<T>(sum_dy[ch] / m);
    const T k3 = static_cast<T>(sum_dy_xhat[ch] / m), muT = mean[ch], isT = invstd[ch];
    for (int64_t i = 0; i < n; ++i) {
      const T* g = dy + (i * c + ch) * s;
      const T* p = x + (i * c + ch) * s;
      T* q = dx + (i * c + ch) * s;
#pragma omp simd
      for (int64_t k = 0; k < s; ++k) q[k] = k1 * (g[k] - k2 - (p[k] - muT) * isT * k3);
    }
  }
}

template <class T>
void batch_norm_backward(const T* dy, const T* x, const T* w, const T* mean, const T* invstd, T* dx,
                         T* dw, T* db, int64_t n, int64_t c, int64_t s, double /*eps*/) {
  // dx = w * invstd / m * (m * dy - sum(dy) - xhat * sum(dy * xhat))
  std::vector<double> sum_dy(c), sum_dy_xhat(c);
  batch_norm_grad_sums(dy, x, mean, sum_dy.data(), sum_dy_xhat.data(), n, c, s);
  for (int64_t ch = 0; ch < c; ++ch) {
    sum_dy_xhat[ch] *= static_cast<double>(invstd[ch]);
    if (dw) dw[ch] = static_cast<T>(sum_dy_xhat[ch]);
    if (db) db[ch] = static_cast<T>(sum_dy[ch]);
  }
  if (dx)
    batch_norm_input_grad(dy, x, w, mean, invstd, sum_dy.data(), sum_dy_xhat.data(),
                          static_cast<double>(n * s), dx, n, c, s);
}

template <class T>
void channel_moment(const T* x, const double* centre, double* sum, int64_t n, int64_t c,
                    int64_t s) {
#pragma omp parallel for schedule(static) if (n * c * s >= kParallelGrain)
  for (int64_t ch = 0; ch < c; ++ch) {
    double acc = 0;
    for (int64_t i = 0; i < n; ++i)
      acc += centre ? row_sq_dev(x + (i * c + ch) * s, s, static_cast<T>(centre[ch]))
                    : row_sum(x + (i * c + ch) * s, s);
    sum[ch] = acc;
  }
}

#define HE_INSTANTIATE(T)                                                                        \
  template void batch_norm_train<T>(const T*, const T*, const T*, T*, T*, T*, T*, int64_t,       \
                                    int64_t, int64_t, double);                                   \
  template void channel_sum<T>(const T*, T*, int64_t, int64_t, int64_t);                         \
  template void channel_affine<T>(const T*, const T*, const T*, T*, int64_t, int64_t, int64_t);  \
  template void batch_norm_backward<T>(const T*, const T*, const T*, const T*, const T*, T*, T*, \
                                       T*, int64_t, int64_t, int64_t, double);                   \
  template void channel_moment<T>(const T*, const double*, double*, int64_t, int64_t, int64_t);  \
  template void batch_norm_grad_sums<T>(const T*, const T*, const T*, double*, double*, int64_t, \
                                        int64_t, int64_t);                                       \
  template void batch_norm_input_grad<T>(const T*, const T*, const T*, const T*, const T*,       \
                                         const double*, const double*, double, T*, int64_t,      \
                                         int64_t, int64_t);
HE_INSTANTIATE(float)
HE_INSTANTIATE(double)

}  // namespace he::kernels::cpu
