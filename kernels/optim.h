#pragma once
// Fused optimiser updates (PyTorch's torch.optim rules), one pass over a parameter, its
// gradient and its state buffers, all contiguous n elements of T in {float, double} on one
// device. Hyper-parameters arrive in double and are rounded to T once, as the CPU reference
// always did; the CUDA kernels run the same formulas element by element.
#include <cstdint>

namespace he::kernels {

// d = g + wd p; with momentum (buf != null): buf = first ? d : m buf + (1 - dampening) d,
// d = nesterov ? d + m buf : buf; p -= lr d.
struct SgdHyper {
  double lr, weight_decay, momentum, dampening;
  bool nesterov, first;
};
// d = g + l2 p; p *= shrink; m = b1 m + (1-b1) d; v = b2 v + (1-b2) d^2; (vmax != null:
// vmax = max(vmax, v), used for v); p -= step_size m / (sqrt(v) / bc2_sqrt + eps).
// Adam: l2 = wd, shrink = 1; AdamW: l2 = 0, shrink = 1 - lr wd.
struct AdamHyper {
  double l2, shrink, beta1, beta2, step_size, bc2_sqrt, eps;
};
// d = g + wd p; sq = a sq + (1-a) d^2; centred (ga != null): ga = a ga + (1-a) d, var = sq -
// ga^2; avg = sqrt(var) + eps; momentum (mb != null): mb = mom mb + d / avg, p -= lr mb;
// else p -= lr d / avg.
struct RmspropHyper {
  double lr, weight_decay, alpha, eps, momentum;
};

namespace cpu {
template <class T>
void sgd_step(T* p, const T* g, T* buf, int64_t n, const SgdHyper& h);
template <class T>
void adam_step(T* p, const T* g, T* m, T* v, T* vmax, int64_t n, const AdamHyper& h);
template <class T>
void rmsprop_step(T* p, const T* g, T* sq, T* ga, T* mb, int64_t n, const RmspropHyper& h);
// x[k] *= scale (gradient clipping).
template <class T>
void scale(T* x, int64_t n, double scale);
// sum |x|^p in double, or max |x| when p is infinite (NaN when some x is NaN): one
// gradient's part of the clipping norm. The same bits for any thread count.
template <class T>
double grad_norm_part(const T* x, int64_t n, double p);
// Whether some x is infinite or NaN.
template <class T>
bool any_nonfinite(const T* x, int64_t n);
}  // namespace cpu

// The same on the current CUDA device (device pointers, context stream; asynchronous).
namespace cuda {
template <class T>
void sgd_step(T* p, const T* g, T* buf, int64_t n, const SgdHyper& h);
template <class T>
void adam_step(T* p, const T* g, T* m, T* v, T* vmax, int64_t n, const AdamHyper& h);
template <class T>
void rmsprop_step(T* p, const T* g, T* sq, T* ga, T* mb, int64_t n, const RmspropHyper& h);
template <class T>
void scale(T* x, int64_t n, double scale);
// These two return to the host, so they wait for their own kernels.
template <class T>
double grad_norm_part(const T* x, int64_t n, double p);
template <class T>
bool any_nonfinite(const T* x, int64_t n);
}  // namespace cuda

}  // namespace he::kernels
