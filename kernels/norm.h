#pragma once
// Batch normalisation over x:(N, C, S) (S = H*W, or 1 for (N,C)), statistics per channel,
// and the per-channel sum and affine map it is built from. The same functions on both
// devices: cpu:: on host pointers, cuda:: on device pointers of the current device
// (asynchronous on its context's stream; the batch-norm pair through cuDNN, which the build
// must have found). f32 and f64.
#include <cstdint>

namespace he::kernels {
namespace cpu {
// Training forward: mean and biased variance over (N, S) per channel; y = (x - mean) *
// invstd * w + b; writes mean[C], invstd[C] = 1/sqrt(var + eps) and var[C] (biased).
// w and b may be null (1 and 0).
template <class T>
void batch_norm_train(const T* x, const T* w, const T* b, T* y, T* mean, T* invstd, T* var,
                      int64_t n, int64_t c, int64_t s, double eps);
// Backward of batch_norm_train from its mean and invstd (eps is the forward's): dx, dw =
// sum(dy * xhat), db = sum(dy) (dx/dw/db may be null).
template <class T>
void batch_norm_backward(const T* dy, const T* x, const T* w, const T* mean, const T* invstd, T* dx,
                         T* dw, T* db, int64_t n, int64_t c, int64_t s, double eps);
// out[c] = sum over n and s of x(n, c, s), contiguous (per-row lanes, rows added in double).
template <class T>
void channel_sum(const T* x, T* out, int64_t n, int64_t c, int64_t s);
// y = x * scale[c] + shift[c]
template <class T>
void channel_affine(const T* x, const T* scale, const T* shift, T* y, int64_t n, int64_t c,
                    int64_t s);
}  // namespace cpu

namespace cuda {
template <class T>
void batch_norm_train(const T* x, const T* w, const T* b, T* y, T* mean, T* invstd, T* var,
                      int64_t n, int64_t c, int64_t s, double eps);
template <class T>
void batch_norm_backward(const T* dy, const T* x, const T* w, const T* mean, const T* invstd, T* dx,
                         T* dw, T* db, int64_t n, int64_t c, int64_t s, double eps);
template <class T>
void channel_sum(const T* x, T* out, int64_t n, int64_t c, int64_t s);
template <class T>
void channel_affine(const T* x, const T* scale, const T* shift, T* y, int64_t n, int64_t c,
                    int64_t s);
}  // namespace cuda
}  // namespace he::kernels
