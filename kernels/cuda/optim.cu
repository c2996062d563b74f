// CUDA optimiser updates (kernels/optim.h): one thread per element, the CPU's formulas with
// the hyper-parameters rounded to T the same way, so a step differs from the CPU's by
// rounding of sqrt and division only.
#include <cstdint>

#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"
#include "kernels/optim.h"

namespace he::kernels::cuda {
namespace {

constexpr int kThreads = 256;

__device__ inline float m_sqrt(float v) { return sqrtf(v); }
__device__ inline double m_sqrt(double v) { return sqrt(v); }

#define HE_GRID_STRIDE(k, n)                                                \
  for (int64_t k = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; k < (n); \
       k += int64_t(gridDim.x) * blockDim.x)

template <class T>
__global__ void sgd_kernel(T* __restrict__ x, const T* __restrict__ g, T* __restrict__ b, int64_t n,
                           T lr, T wd, T mom, T keep, bool nesterov, bool first) {
  HE_GRID_STRIDE(k, n) {
    T d = g[k] + wd * x[k];
    if (b) {
      b[k] = first ? d : mom * b[k] + keep * d;
      d = nesterov ? d + mom * b[k] : b[k];
    }
    x[k] -= lr * d;
  }
}

template <class T>
__global__ void adam_kernel(T* __restrict__ x, const T* __restrict__ g, T* __restrict__ m,
                            T* __restrict__ v, T* __restrict__ vmax, int64_t n, T l2, T shrink,
                            T b1, T b2, T ob1, T ob2, T step_size, T bc2, T eps) {
  HE_GRID_STRIDE(k, n) {
    const T d = g[k] + l2 * x[k];
    x[k] *= shrink;
    m[k] = b1 * m[k] + ob1 * d;
    v[k] = b2 * v[k] + ob2 * d * d;
    T second = v[k];
    if (vmax) second = vmax[k] = vmax[k] > v[k] ? vmax[k] : v[k];
    x[k] -= step_size * m[k] / (m_sqrt(second) / bc2 + eps);
  }
}

template <class T>
__global__ void rmsprop_kernel(T* __restrict__ x, const T* __restrict__ g, T* __restrict__ sq,
                               T* __restrict__ ga, T* __restrict__ mb, int64_t n, T lr, T wd, T a,
                               T oa, T eps, T mom) {
  HE_GRID_STRIDE(k, n) {
    const T d = g[k] + wd * x[k];
    sq[k] = a * sq[k] + oa * d * d;
    T var = sq[k];
    if (ga) {
      ga[k] = a * ga[k] + oa * d;
      var -= ga[k] * ga[k];
    }
    const T avg = m_sqrt(var) + eps;
    if (mb) {
      mb[k] = mom * mb[k] + d / avg;
      x[k] -= lr * mb[k];
    } else {
      x[k] -= lr * d / avg;
    }
  }
}

template <class T>
__global__ void scale_kernel(T* __restrict__ x, int64_t n, T c) {
  HE_GRID_STRIDE(k, n) { x[k] *= c; }
}

#undef HE_GRID_STRIDE

template <class T>
T as(double v) {
  return static_cast<T>(v);
}

}  // namespace

template <class T>
void sgd_step(T* x, const T* g, T* b, int64_t n, const SgdHyper& h) {
  if (n <= 0) return;
  Context& ctx = current_context();
  sgd_kernel<T><<<detail::grid_for(n), kThreads, 0, ctx.stream>>>(
      x, g, b, n, as<T>(h.lr), as<T>(h.weight_decay), as<T>(h.momentum), as<T>(1 - h.dampening),
      h.nesterov, h.first);
  HE_CUDA_CHECK_LAUNCH("sgd_kernel");
}

template <class T>
void adam_step(T* x, const T* g, T* m, T* v, T* vmax, int64_t n, const AdamHyper& h) {
  if (n <= 0) return;
  Context& ctx = current_context();
  adam_kernel<T><<<detail::grid_for(n), kThreads, 0, ctx.stream>>>(
      x, g, m, v, vmax, n, as<T>(h.l2), as<T>(h.shrink), as<T>(h.beta1), as<T>(h.beta2),
      as<T>(1 - h.beta1), as<T>(1 - h.beta2), as<T>(h.step_size), as<T>(h.bc2_sqrt), as<T>(h.eps));
  HE_CUDA_CHECK_LAUNCH("adam_kernel");
}

template <class T>
void rmsprop_step(T* x, const T* g, T* sq, T* ga, T* mb, int64_t n, const RmspropHyper& h) {
  if (n <= 0) return;
  Context& ctx = current_context();
  rmsprop_kernel<T><<<detail::grid_for(n), kThreads, 0, ctx.stream>>>(
      x, g, sq, ga, mb, n, as<T>(h.lr), as<T>(h.weight_decay), as<T>(h.alpha), as<T>(1 - h.alpha),
      as<T>(h.eps), as<T>(h.momentum));
  HE_CUDA_CHECK_LAUNCH("rmsprop_kernel");
}

template <class T>
void scale(T* x, int64_t n, double s) {
  if (n <= 0) return;
  Context& ctx = current_context();
  scale_kernel<T><<<detail::grid_for(n), kThreads, 0, ctx.stream>>>(x, n, as<T>(s));
  HE_CUDA_CHECK_LAUNCH("scale_kernel");
}

#define HE_INSTANTIATE(T)                                                                \
  template void sgd_step<T>(T*, const T*, T*, int64_t, const SgdHyper&);                 \
  template void adam_step<T>(T*, const T*, T*, T*, T*, int64_t, const AdamHyper&);       \
  template void rmsprop_step<T>(T*, const T*, T*, T*, T*, int64_t, const RmspropHyper&); \
  template void scale<T>(T*, int64_t, double);
HE_INSTANTIATE(float)
HE_INSTANTIATE(double)
#undef HE_INSTANTIATE

}  // namespace he::kernels::cuda
