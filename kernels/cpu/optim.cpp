// CPU optimiser updates (kernels/optim.h): the reference the CUDA kernels are checked against.
#include "kernels/optim.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace he::kernels::cpu {

namespace {
// Elements below which the update stays on one thread: a parallel region's fork and join
// cost more than a small tensor's update.
constexpr int64_t kUpdateParallelGrain = 1 << 15;
}  // namespace

template <class T>
void sgd_step(T* x, const T* g, T* b, int64_t n, const SgdHyper& h) {
  const T tlr = static_cast<T>(h.lr), twd = static_cast<T>(h.weight_decay);
  const T tm = static_cast<T>(h.momentum), keep = static_cast<T>(1 - h.dampening);
  const bool nesterov = h.nesterov, first = h.first;
#pragma omp parallel for schedule(static) if (n >= kUpdateParallelGrain)
  for (int64_t k = 0; k < n; ++k) {
    T d = g[k] + twd * x[k];
    if (b) {
      b[k] = first ? d : tm * b[k] + keep * d;
      d = nesterov ? d + tm * b[k] : b[k];
    }
    x[k] -= tlr * d;
  }
}

template <class T>
void adam_step(T* x, const T* g, T* m, T* v, T* vmax, int64_t n, const AdamHyper& h) {
  const T l2 = static_cast<T>(h.l2), shrink = static_cast<T>(h.shrink);
  const T tb1 = static_cast<T>(h.beta1), tb2 = static_cast<T>(h.beta2);
  const T ob1 = static_cast<T>(1 - h.beta1), ob2 = static_cast<T>(1 - h.beta2);
  const T ts = static_cast<T>(h.step_size), tbc2 = static_cast<T>(h.bc2_sqrt);
  const T eps = static_cast<T>(h.eps);
#pragma omp parallel for schedule(static) if (n >= kUpdateParallelGrain)
  for (int64_t k = 0; k < n; ++k) {
    const T d = g[k] + l2 * x[k];
    x[k] *= shrink;
    m[k] = tb1 * m[k] + ob1 * d;
    v[k] = tb2 * v[k] + ob2 * d * d;
    T second = v[k];
    if (vmax) second = vmax[k] = std::max(vmax[k], v[k]);
    x[k] -= ts * m[k] / (std::sqrt(second) / tbc2 + eps);
  }
}

template <class T>
void rmsprop_step(T* x, const T* g, T* sq, T* ga, T* mb, int64_t n, const RmspropHyper& h) {
  const T lr = static_cast<T>(h.lr), wd = static_cast<T>(h.weight_decay);
  const T a = static_cast<T>(h.alpha), oa = static_cast<T>(1 - h.alpha);
  const T eps = static_cast<T>(h.eps), mom = static_cast<T>(h.momentum);
#pragma omp parallel for schedule(static) if (n >= kUpdateParallelGrain)
  for (int64_t k = 0; k < n; ++k) {
    const T d = g[k] + wd * x[k];
    sq[k] = a * sq[k] + oa * d * d;
    T var = sq[k];
    if (ga) {
      ga[k] = a * ga[k] + oa * d;
      var -= ga[k] * ga[k];
    }
    const T avg = std::sqrt(var) + eps;
    if (mb) {
      mb[k] = mom * mb[k] + d / avg;
      x[k] -= lr * mb[k];
    } else {
      x[k] -= lr * d / avg;
    }
  }
}

template <class T>
void scale(T* x, int64_t n, double s) {
  const T c = static_cast<T>(s);
#pragma omp parallel for schedule(static) if (n >= 65536)
  for (int64_t k = 0; k < n; ++k) x[k] *= c;
}

template <class T>
double grad_norm_part(const T* x, int64_t n, double p) {
  double acc = 0;
  if (std::isinf(p)) {
    int nan = 0;
#pragma omp parallel for reduction(max : acc) reduction(| : nan) if (n >= 65536)
    for (int64_t k = 0; k < n; ++k) {
      const double a = std::fabs(static_cast<double>(x[k]));
      nan |= std::isnan(a);
      acc = a > acc ? a : acc;
    }
    return nan ? std::nan("") : acc;
  }
  // Fixed blocks summed in block order: the same bits for any thread count, unlike an
  // OpenMP reduction, which adds the threads' partial sums in the order they finish.
  constexpr int64_t kBlock = 16384;
  std::vector<double> part(static_cast<size_t>((n + kBlock - 1) / kBlock), 0.0);
#pragma omp parallel for schedule(static) if (n >= 65536)
  for (int64_t b = 0; b < static_cast<int64_t>(part.size()); ++b) {
    double s = 0;
    for (int64_t k = b * kBlock; k < std::min(n, (b + 1) * kBlock); ++k)
      s += p == 2 ? static_cast<double>(x[k]) * x[k]
                  : std::pow(std::fabs(static_cast<double>(x[k])), p);
    part[b] = s;
  }
  for (double s : part) acc += s;
  return acc;
}

template <class T>
bool any_nonfinite(const T* x, int64_t n) {
  int found = 0;
#pragma omp parallel for reduction(| : found) if (n >= 65536)
  for (int64_t k = 0; k < n; ++k) found |= !std::isfinite(x[k]);
  return found != 0;
}

#define HE_INSTANTIATE(T)                                                                \
  template void sgd_step<T>(T*, const T*, T*, int64_t, const SgdHyper&);                 \
  template void adam_step<T>(T*, const T*, T*, T*, T*, int64_t, const AdamHyper&);       \
  template void rmsprop_step<T>(T*, const T*, T*, T*, T*, int64_t, const RmspropHyper&); \
  template void scale<T>(T*, int64_t, double);                                           \
  template double grad_norm_part<T>(const T*, int64_t, double);                          \
  template bool any_nonfinite<T>(const T*, int64_t);
HE_INSTANTIATE(float)
HE_INSTANTIATE(double)
#undef HE_INSTANTIATE

}  // namespace he::kernels::cpu
