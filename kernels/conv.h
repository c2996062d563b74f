#pragma once
// 2-D convolution and its transpose, NCHW, with groups.
//
// ConvGeom describes one forward convolution x(n,c,h,w) * w(o, c/groups, kh, kw) ->
// y(n,o,oh,ow). The transposed convolution is described by the convolution it is the adjoint
// of: its input has that convolution's output shape (n,o,oh,ow), its output the input shape
// (n,c,h,w), and it shares the weight w(o, c/groups, kh, kw).
//
// The im2col column matrix has one row per (channel, ki, kj) and one column per (image,
// output position):
//   cols(C*KH*KW, N*OH*OW)[(c*KH + ki)*KW + kj, n*OH*OW + oh*OW + ow]
//     = x(N,C,H,W)[n, c, oh*sh - ph + ki*dh, ow*sw - pw + kj*dw]   (0 outside the image)
#include <cstdint>

namespace he::kernels {
struct ConvGeom {
  int64_t n, c, h, w;  // input
  int64_t kh, kw;      // kernel
  int64_t sh, sw, ph, pw, dh, dw;
  int64_t oh, ow;      // output
  int64_t o = 0;       // output channels
  int64_t groups = 1;  // c and o are multiples of it
};

// The same four functions on both devices: cpu:: on host pointers (im2col + GEMM, or Winograd
// where it applies, below), cuda:: on
// device pointers of the current device, asynchronous on its context's stream (cuDNN; they
// throw when the build found no cuDNN; algorithms chosen once per shape, deterministic ones
// preferred, workspace from the device context). Gradient outputs that are null are not
// computed; every non-null one is overwritten. f32 and f64.
namespace cpu {
// x(n,c,h,w), w(o,c/groups,kh,kw), bias(o) or null -> y(n,o,oh,ow)
template <class T>
void conv2d_forward(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y);
// gy(n,o,oh,ow) -> gx(n,c,h,w), gw(o,c/groups,kh,kw), gb(o)
template <class T>
void conv2d_backward(const ConvGeom& g, const T* x, const T* w, const T* gy, T* gx, T* gw, T* gb);
// x(n,o,oh,ow), w(o,c/groups,kh,kw), bias(c) or null -> y(n,c,h,w)
template <class T>
void conv_transpose2d_forward(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y);
// gy(n,c,h,w) -> gx(n,o,oh,ow), gw(o,c/groups,kh,kw), gb(c)
template <class T>
void conv_transpose2d_backward(const ConvGeom& g, const T* x, const T* w, const T* gy, T* gx, T* gw,
                               T* gb);

// The two algorithms behind conv2d_forward / conv2d_backward, callable directly (tests,
// benches). im2col + GEMM takes any geometry. Winograd F(2x2, 5x5) / F(4x4, 3x3)
// (kernels/cpu/conv_winograd.h) takes f32 with groups 1, stride and dilation 1, a 3x3 or 5x5
// filter and channel counts that are multiples of 16, on a CPU with AVX-512F: whenever
// conv2d_uses_winograd(), conv2d_* compute the output and the input gradient with it (2.8x
// fewer multiplies for 5x5, 4x for 3x3; the results differ from im2col's by rounding) and the
// filter gradient with conv2d_direct_filter_grad (Winograd's rounding would exceed im2col's
// there).
template <class T>
void conv2d_im2col_forward(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y);
template <class T>
void conv2d_im2col_backward(const ConvGeom& g, const T* x, const T* w, const T* gy, T* gx, T* gw);
bool conv2d_winograd_applies(const ConvGeom& g);
// The process-wide choice behind conv2d_*: fastest (Winograd where it applies) or im2col
// everywhere, whose rounding is smaller (3e-7 of the largest value, against up to 4e-6): two
// runs that differ only in rounding, such as one process and N ranks summing a batch in
// another order, stay closer with it. The environment variable HE_CONV_ALGORITHM (fastest or
// im2col) sets the starting value. conv2d_uses_winograd: the choice for one geometry.
enum class ConvAlgorithm { fastest, im2col };
void set_conv_algorithm(ConvAlgorithm a);
ConvAlgorithm conv_algorithm();
bool conv2d_uses_winograd(const ConvGeom& g);
void conv2d_winograd_forward(const ConvGeom& g, const float* x, const float* w, const float* bias,
                             float* y);
// gy(n,o,oh,ow) -> gx(n,c,h,w)
void conv2d_winograd_backward_input(const ConvGeom& g, const float* w, const float* gy, float* gx);
// The filter gradient that goes with it, for the same shapes: gy(n,o,oh,ow) -> gw(o,c,kh,kw)
// summed directly per filter tap with AVX-512, reading the input in place (no column matrix);
// its rounding is that of a plain sum, as im2col's.
void conv2d_direct_filter_grad(const ConvGeom& g, const float* x, const float* gy, float* gw);
// Both at once (either output may be null), each image's output gradient read once: what
// conv2d_backward calls.
void conv2d_winograd_backward(const ConvGeom& g, const float* x, const float* w, const float* gy,
                              float* gx, float* gw);

template <class T>
void im2col(const ConvGeom& g, const T* x, T* cols);
// x(N,C,H,W) = sum of the columns that read each pixel (x is overwritten).
template <class T>
void col2im(const ConvGeom& g, const T* cols, T* x);
}  // namespace cpu

namespace cuda {
// x(n,c,h,w), w(o,c/groups,kh,kw), bias(o) or null -> y(n,o,oh,ow)
template <class T>
void conv2d_forward(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y);
// gy(n,o,oh,ow) -> gx(n,c,h,w), gw(o,c/groups,kh,kw), gb(o)
template <class T>
void conv2d_backward(const ConvGeom& g, const T* x, const T* w, const T* gy, T* gx, T* gw, T* gb);
// x(n,o,oh,ow), w(o,c/groups,kh,kw), bias(c) or null -> y(n,c,h,w)
template <class T>
void conv_transpose2d_forward(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y);
// gy(n,c,h,w) -> gx(n,o,oh,ow), gw(o,c/groups,kh,kw), gb(c)
template <class T>
void conv_transpose2d_backward(const ConvGeom& g, const T* x, const T* w, const T* gy, T* gx, T* gw,
                               T* gb);
}  // namespace cuda
}  // namespace he::kernels
