#include "kernels/norm.h"

#include <cmath>

#include "kernels/cpu/strided_loop.h"

namespace he::kernels::cpu {

template <class T>
void batch_norm_train(const T* x, const T* w, const T* b, T* y, T* mean, T* invstd, T* var,
                      int64_t n, int64_t c, int64_t s, double eps) {
  const double m = static_cast<double>(n * s);
#pragma omp parallel for schedule(static) if (n * c * s >= kParallelGrain)
  for (int64_t ch = 0; ch < c; ++ch) {
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < n; ++i) {
      const T* p = x + (i * c + ch) * s;
      for (int64_t k = 0; k < s; ++k) sum += p[k];
    }
    const double mu = sum / m;
    for (int64_t i = 0; i < n; ++i) {  // two passes: exact for large means, unlike E[x^2] - mu^2
      const T* p = x + (i * c + ch) * s;
      for (int64_t k = 0; k < s; ++k) {
        const double d = p[k] - mu;
        sq += d * d;
      }
    }
    const double v = sq / m, is = 1.0 / std::sqrt(v + eps);
    mean[ch] = static_cast<T>(mu), invstd[ch] = static_cast<T>(is), var[ch] = static_cast<T>(v);
    const T scale = static_cast<T>(is * (w ? static_cast<double>(w[ch]) : 1.0));
    const T shift = static_cast<T>((b ? static_cast<double>(b[ch]) : 0.0) - mu * scale);
    for (int64_t i = 0; i < n; ++i) {
      const T* p = x + (i * c + ch) * s;
      T* q = y + (i * c + ch) * s;
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
                         T* dw, T* db, int64_t n, int64_t c, int64_t s) {
  const double m = static_cast<double>(n * s);
#pragma omp parallel for schedule(static) if (n * c * s >= kParallelGrain)
  for (int64_t ch = 0; ch < c; ++ch) {
    const double mu = mean[ch], is = invstd[ch];
    double sum_dy = 0, sum_dy_xhat = 0;
    for (int64_t i = 0; i < n; ++i) {
      const T* g = dy + (i * c + ch) * s;
      const T* p = x + (i * c + ch) * s;
      for (int64_t k = 0; k < s; ++k) {
        sum_dy += g[k];
        sum_dy_xhat += g[k] * (p[k] - mu) * is;
      }
    }
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
      for (int64_t k = 0; k < s; ++k) q[k] = k1 * (g[k] - k2 - (p[k] - muT) * isT * k3);
    }
  }
}

#define HE_INSTANTIATE(T)                                                                        \
  template void batch_norm_train<T>(const T*, const T*, const T*, T*, T*, T*, T*, int64_t,       \
                                    int64_t, int64_t, double);                                   \
  template void channel_affine<T>(const T*, const T*, const T*, T*, int64_t, int64_t, int64_t);  \
  template void batch_norm_backward<T>(const T*, const T*, const T*, const T*, const T*, T*, T*, \
                                       T*, int64_t, int64_t, int64_t);
HE_INSTANTIATE(float)
HE_INSTANTIATE(double)

}  // namespace he::kernels::cpu
