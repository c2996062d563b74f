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
// The pieces of batch_norm_train / batch_norm_backward for a batch split over processes (sync
// batch norm), whose per-channel sums the caller adds over processes in between. All sums in
// double, as batch_norm_train's. Forward: sum[c] of x, or, with centre, of (x - centre[c])^2
// (centre rounded to T as batch_norm_train does).
template <class T>
void channel_moment(const T* x, const double* centre, double* sum, int64_t n, int64_t c, int64_t s);
// Backward: sum_dy[c] of dy and sum_dy_xc[c] of dy * (x - mean[c]).
template <class T>
void batch_norm_grad_sums(const T* dy, const T* x, const T* mean, double* sum_dy, double* sum_dy_xc,
                          int64_t n, int64_t c, int64_t s);
// dx = w * invstd * (dy - sum_dy / m - xhat * sum_dy_xhat / m), the sums over all m values of
// a channel (w may be null).
template <class T>
void batch_norm_input_grad(const T* dy, const T* x, const T* w, const T* mean, const T* invstd,
                           const double* sum_dy, const double* sum_dy_xhat, double m, T* dx,
                           int64_t n, int64_t c, int64_t s);
// y = x * scale[c] + shift[c]
template <class T>
void channel_affine(const T* x, const T* scale, const T* shift, T* y, int64_t n, int64_t c,
                    int64_t s);
// batch_norm_train followed by the 2x2 / stride 2 max pool of kernels/pool.h, without the
// normalised (N,C,H,W) tensor: x:(N,C,H,W) -> y, idx:(N,C,H/2,W/2) as max_pool2d's (argmax
// positions within each plane), mean, invstd, var as batch_norm_train's; bit for bit the two
// ops in turn.
template <class T>
void batch_norm_max_pool2x2(const T* x, const T* w, const T* b, T* y, int64_t* idx, T* mean,
                            T* invstd, T* var, int64_t n, int64_t c, int64_t h, int64_t wd,
                            double eps);
// Its backward from the pooled gradient gy: dx, dw, db as max_pool2d_backward then
// batch_norm_backward give them, bit for bit (each may be null).
template <class T>
void batch_norm_max_pool2x2_backward(const T* gy, const int64_t* idx, const T* x, const T* w,
                                     const T* mean, const T* invstd, T* dx, T* dw, T* db, int64_t n,
                                     int64_t c, int64_t h, int64_t wd);
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
