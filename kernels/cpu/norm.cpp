#include "kernels/norm.h"

#include <cmath>
#include <vector>

#include "kernels/cpu/clones.h"
#include "kernels/cpu/strided_loop.h"

namespace he::kernels::cpu {

// The row loops of the batch-norm kernels (one channel of one image, s values), compiled for
// AVX-512 / AVX2 / baseline (clones.h). Row sums vectorise in T lanes (omp simd) and the callers
// add rows up in double. With the baseline's 4 lanes the three batch-norm passes took 12% of
// the small CNN's training step (perf, 1 thread).
namespace norm_rows {
namespace {
template <class T>
inline T sum(const T* p, int64_t s) {
  T acc = 0;
#pragma omp simd reduction(+ : acc)
  for (int64_t k = 0; k < s; ++k) acc += p[k];
  return acc;
}
template <class T>
inline T sq_dev(const T* p, int64_t s, T mu) {
  T acc = 0;
#pragma omp simd reduction(+ : acc)
  for (int64_t k = 0; k < s; ++k) acc += (p[k] - mu) * (p[k] - mu);
  return acc;
}
template <class T>
inline void affine(const T* p, T* q, int64_t s, T scale, T shift) {
#pragma omp simd
  for (int64_t k = 0; k < s; ++k) q[k] = p[k] * scale + shift;
}
// a = sum(g), b = sum(g (p - mu)).
template <class T>
inline void grad_sums(const T* g, const T* p, int64_t s, T mu, T* a_out, T* b_out) {
  T a = 0, b = 0;
#pragma omp simd reduction(+ : a, b)
  for (int64_t k = 0; k < s; ++k) {
    a += g[k];
    b += g[k] * (p[k] - mu);
  }
  *a_out = a, *b_out = b;
}
template <class T>
inline void input_grad(const T* g, const T* p, T* q, int64_t s, T k1, T k2, T k3, T mu, T is) {
#pragma omp simd
  for (int64_t k = 0; k < s; ++k) q[k] = k1 * (g[k] - k2 - (p[k] - mu) * is * k3);
}
}  // namespace

#define HE_NORM_ROWS(T)                                                                          \
  HE_CLONES T row_sum(const T* p, int64_t s) { return sum(p, s); }                               \
  HE_CLONES T row_sq_dev(const T* p, int64_t s, T mu) { return sq_dev(p, s, mu); }               \
  HE_CLONES void row_affine(const T* p, T* q, int64_t s, T scale, T shift) {                     \
    affine(p, q, s, scale, shift);                                                               \
  }                                                                                              \
  HE_CLONES void row_grad_sums(const T* g, const T* p, int64_t s, T mu, T* a, T* b) {            \
    grad_sums(g, p, s, mu, a, b);                                                                \
  }                                                                                              \
  HE_CLONES void row_input_grad(const T* g, const T* p, T* q, int64_t s, T k1, T k2, T k3, T mu, \
                                T is) {                                                          \
    input_grad(g, p, q, s, k1, k2, k3, mu, is);                                                  \
  }
HE_NORM_ROWS(float)
HE_NORM_ROWS(double)
#undef HE_NORM_ROWS
}  // namespace norm_rows
using norm_rows::row_affine;
using norm_rows::row_grad_sums;
using norm_rows::row_input_grad;
using norm_rows::row_sq_dev;
using norm_rows::row_sum;

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
    for (int64_t i = 0; i < n; ++i)
      row_affine(x + (i * c + ch) * s, y + (i * c + ch) * s, s, scale, shift);
  }
}

template <class T>
void channel_affine(const T* x, const T* scale, const T* shift, T* y, int64_t n, int64_t c,
                    int64_t s) {
#pragma omp parallel for collapse(2) schedule(static) if (n * c * s >= kParallelGrain)
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch)
      row_affine(x + (i * c + ch) * s, y + (i * c + ch) * s, s, scale[ch], shift[ch]);
}

template <class T>
void batch_norm_grad_sums(const T* dy, const T* x, const T* mean, double* sum_dy, double* sum_dy_xc,
                          int64_t n, int64_t c, int64_t s) {
#pragma omp parallel for schedule(static) if (n * c * s >= kParallelGrain)
  for (int64_t ch = 0; ch < c; ++ch) {
    const T muT = mean[ch];
    double sa = 0, sb = 0;  // rows in T lanes, added up in double
    for (int64_t i = 0; i < n; ++i) {
      T a, b;
      row_grad_sums(dy + (i * c + ch) * s, x + (i * c + ch) * s, s, muT, &a, &b);
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
      const int64_t at = (i * c + ch) * s;
      row_input_grad(dy + at, x + at, dx + at, s, k1, k2, k3, muT, isT);
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
