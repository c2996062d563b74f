#include "kernels/norm.h"

#include <cmath>
#include <vector>

#include "kernels/cpu/strided_loop.h"
#include "kernels/pool.h"

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

namespace {
// Channel ch's batch statistics (written to mean, invstd, var) and the affine map y = x *
// scale + shift that normalises it.
template <class T>
void channel_stats(const T* x, const T* w, const T* b, T* mean, T* invstd, T* var, int64_t n,
                   int64_t c, int64_t s, double eps, int64_t ch, T& scale, T& shift) {
  const double m = static_cast<double>(n * s);
  double sum = 0, sq = 0;
  for (int64_t i = 0; i < n; ++i) sum += row_sum(x + (i * c + ch) * s, s);
  const double mu = sum / m;
  // Two passes: exact for large means, unlike E[x^2] - mu^2.
  for (int64_t i = 0; i < n; ++i) sq += row_sq_dev(x + (i * c + ch) * s, s, static_cast<T>(mu));
  const double v = sq / m, is = 1.0 / std::sqrt(v + eps);
  mean[ch] = static_cast<T>(mu), invstd[ch] = static_cast<T>(is), var[ch] = static_cast<T>(v);
  scale = static_cast<T>(is * (w ? static_cast<double>(w[ch]) : 1.0));
  shift = static_cast<T>((b ? static_cast<double>(b[ch]) : 0.0) - mu * scale);
}

template <class T>
void affine_row(const T* p, T* q, int64_t s, T scale, T shift) {
#pragma omp simd
  for (int64_t k = 0; k < s; ++k) q[k] = p[k] * scale + shift;
}

// One row's sum(dy) and sum(dy * (x - mu)) in T lanes.
template <class T>
void grad_row_sums(const T* g, const T* p, int64_t s, T muT, T& a, T& b) {
  T sa = 0, sb = 0;
#pragma omp simd reduction(+ : sa, sb)
  for (int64_t k = 0; k < s; ++k) {
    sa += g[k];
    sb += g[k] * (p[k] - muT);
  }
  a = sa, b = sb;
}

// dx = k1 * (dy - k2 - (x - mu) * invstd * k3) for channel ch, from its sums over m values.
template <class T>
struct InputGrad {
  T k1, k2, k3;
};
template <class T>
InputGrad<T> input_grad_coeffs(const T* w, const T* invstd, int64_t ch, double sum_dy,
                               double sum_dy_xhat, double m) {
  const double is = invstd[ch], wc = w ? static_cast<double>(w[ch]) : 1.0;
  return {static_cast<T>(wc * is), static_cast<T>(sum_dy / m), static_cast<T>(sum_dy_xhat / m)};
}

template <class T>
void input_grad_row(const T* g, const T* p, T* q, int64_t s, T k1, T k2, T k3, T muT, T isT) {
#pragma omp simd
  for (int64_t k = 0; k < s; ++k) q[k] = k1 * (g[k] - k2 - (p[k] - muT) * isT * k3);
}

}  // namespace

template <class T>
void batch_norm_train(const T* x, const T* w, const T* b, T* y, T* mean, T* invstd, T* var,
                      int64_t n, int64_t c, int64_t s, double eps) {
#pragma omp parallel for schedule(static) if (n * c * s >= kParallelGrain)
  for (int64_t ch = 0; ch < c; ++ch) {
    T scale, shift;
    channel_stats(x, w, b, mean, invstd, var, n, c, s, eps, ch, scale, shift);
    for (int64_t i = 0; i < n; ++i)
      affine_row(x + (i * c + ch) * s, y + (i * c + ch) * s, s, scale, shift);
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
      T a, b;
      grad_row_sums(dy + (i * c + ch) * s, x + (i * c + ch) * s, s, muT, a, b);
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
    const InputGrad<T> k = input_grad_coeffs(w, invstd, ch, sum_dy[ch], sum_dy_xhat[ch], m);
    for (int64_t i = 0; i < n; ++i)
      input_grad_row(dy + (i * c + ch) * s, x + (i * c + ch) * s, dx + (i * c + ch) * s, s, k.k1,
                     k.k2, k.k3, mean[ch], invstd[ch]);
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

// Batch norm fused with the 2x2 / stride 2 max pool after it. Per channel, each image's
// normalised plane (forward) or its unpooled gradient (backward) lives only in a buffer of one
// plane, in L1, never as an (N,C,H,W) tensor; every value comes from the same functions as
// batch_norm_train, max_pool2d and their backwards, so the results are theirs bit for bit.
template <class T>
void batch_norm_max_pool2x2(const T* x, const T* w, const T* b, T* y, int64_t* idx, T* mean,
                            T* invstd, T* var, int64_t n, int64_t c, int64_t h, int64_t wd,
                            double eps) {
  const int64_t s = h * wd, ps = (h / 2) * (wd / 2);
  const PoolGeom plane{1, h, wd, h / 2, wd / 2, 2, 2, 0};
#pragma omp parallel if (n * c * s >= kParallelGrain)
  {
    std::vector<T> z(static_cast<size_t>(s));
#pragma omp for schedule(static)
    for (int64_t ch = 0; ch < c; ++ch) {
      T scale, shift;
      channel_stats(x, w, b, mean, invstd, var, n, c, s, eps, ch, scale, shift);
      for (int64_t i = 0; i < n; ++i) {
        affine_row(x + (i * c + ch) * s, z.data(), s, scale, shift);
        max_pool2x2_plane(plane, z.data(), y + (i * c + ch) * ps, idx + (i * c + ch) * ps);
      }
    }
  }
}

template <class T>
void batch_norm_max_pool2x2_backward(const T* gy, const int64_t* idx, const T* x, const T* w,
                                     const T* mean, const T* invstd, T* dx, T* dw, T* db, int64_t n,
                                     int64_t c, int64_t h, int64_t wd) {
  const int64_t s = h * wd, ps = (h / 2) * (wd / 2);
  const double m = static_cast<double>(n * s);
  const PoolGeom plane{1, h, wd, h / 2, wd / 2, 2, 2, 0};
#pragma omp parallel if (n * c * s >= kParallelGrain)
  {
    std::vector<T> g(static_cast<size_t>(s));
    auto unpool = [&](int64_t i, int64_t ch) {  // image i's gradient of the normalised plane
      max_pool2x2_backward_plane(plane, gy + (i * c + ch) * ps, idx + (i * c + ch) * ps, g.data());
    };
#pragma omp for schedule(static)
    for (int64_t ch = 0; ch < c; ++ch) {
      const T muT = mean[ch];
      double sum_dy = 0, sum_dy_xc = 0;  // as batch_norm_grad_sums
      for (int64_t i = 0; i < n; ++i) {
        unpool(i, ch);
        T a, bb;
        grad_row_sums(g.data(), x + (i * c + ch) * s, s, muT, a, bb);
        sum_dy += a, sum_dy_xc += bb;
      }
      const double sum_dy_xhat = sum_dy_xc * static_cast<double>(invstd[ch]);
      if (dw) dw[ch] = static_cast<T>(sum_dy_xhat);
      if (db) db[ch] = static_cast<T>(sum_dy);
      if (!dx) continue;
      const InputGrad<T> k = input_grad_coeffs(w, invstd, ch, sum_dy, sum_dy_xhat, m);
      for (int64_t i = 0; i < n; ++i) {
        unpool(i, ch);
        input_grad_row(g.data(), x + (i * c + ch) * s, dx + (i * c + ch) * s, s, k.k1, k.k2, k.k3,
                       muT, invstd[ch]);
      }
    }
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
template void batch_norm_max_pool2x2<float>(const float*, const float*, const float*, float*,
                                            int64_t*, float*, float*, float*, int64_t, int64_t,
                                            int64_t, int64_t, double);
template void batch_norm_max_pool2x2<double>(const double*, const double*, const double*, double*,
                                             int64_t*, double*, double*, double*, int64_t, int64_t,
                                             int64_t, int64_t, double);
template void batch_norm_max_pool2x2_backward<float>(const float*, const int64_t*, const float*,
                                                     const float*, const float*, const float*,
                                                     float*, float*, float*, int64_t, int64_t,
                                                     int64_t, int64_t);
template void batch_norm_max_pool2x2_backward<double>(const double*, const int64_t*, const double*,
                                                      const double*, const double*, const double*,
                                                      double*, double*, double*, int64_t, int64_t,
                                                      int64_t, int64_t);

}  // namespace he::kernels::cpu
