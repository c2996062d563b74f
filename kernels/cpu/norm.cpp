#include "kernels/norm.h"

#include <cmath>

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
void batch_norm_backward(const T* dy, const T* x, const T* w, const T* mean, const T* invstd, T* dx,
                         T* dw, T* db, int64_t n, int64_t c, int64_t s, double /*eps*/) {
  const double m = static_cast<double>(n * s);
#pragma omp parallel for schedule(static) if (n * c * s >= kParallelGrain)
  for (int64_t ch = 0; ch < c; ++ch) {
    const double mu = mean[ch], is = invstd[ch];
    double sum_dy = 0, sum_dy_xc = 0;  // sums of dy and of dy * (x - mean), rows in T lanes
    for (int64_t i = 0; i < n; ++i) {
      const T* g = dy + (i * c + ch) * s;
      const T* p = x + (i * c + ch) * s;
      const T muT = static_cast<T>(mu);
      T a = 0, b = 0;
#pragma omp simd reduction(+ : a, b)
      for (int64_t k = 0; k < s; ++k) {
        a += g[k];
        b += g[k] * (p[k] - muT);
      }
      sum_dy += a, sum_dy_xc += b;
    }
    const double sum_dy_xhat = sum_dy_xc * is;
    if (dw) dw[ch] = static_cast<T>(sum_dy_xhat);
    if (db) db[ch] = static_cast<T>(sum_dy);
    if (!dx) continue;
    // dx = w * invstd / m * (m * dy - sum(dy) - xhat * sum(dy * xhat))
    const double wc = w ? static_cast<double>(w[ch]) : 1.0;
    const T k1 = static_cast<T>(wc * is), k2 = static_cast<T>(sum_dy / m);
    const T k3 = static_cast<T>(sum_dy_xhat / m), muT = static_cast<T>(mu),
            isT = static_cast<T>(is);
    for (int64_t i = 0; i < n; ++i) {
      const T* g = dy + (i * c + ch) * s;
      const T* p = x + (i * c + ch) * s;
      T* q = dx + (i * c + ch) * s;
#pragma omp simd
      for (int64_t k = 0; k < s; ++k) q[k] = k1 * (g[k] - k2 - (p[k] - muT) * isT * k3);
    }
  }
}

#define HE_INSTANTIATE(T)                                                                        \
  template void batch_norm_train<T>(const T*, const T*, const T*, T*, T*, T*, T*, int64_t,       \
                                    int64_t, int64_t, double);                                   \
  template void channel_sum<T>(const T*, T*, int64_t, int64_t, int64_t);                         \
  template void channel_affine<T>(const T*, const T*, const T*, T*, int64_t, int64_t, int64_t);  \
  template void batch_norm_backward<T>(const T*, const T*, const T*, const T*, const T*, T*, T*, \
                                       T*, int64_t, int64_t, int64_t, double);
HE_INSTANTIATE(float)
HE_INSTANTIATE(double)

}  // namespace he::kernels::cpu
