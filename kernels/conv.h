#pragma once
// im2col / col2im for 2-D convolution as GEMM. The column matrix has one row per
// (channel, ki, kj) and one column per (image, output position):
//   cols(C*KH*KW, N*OH*OW)[(c*KH + ki)*KW + kj, n*OH*OW + oh*OW + ow]
//     = x(N,C,H,W)[n, c, oh*sh - ph + ki*dh, ow*sw - pw + kj*dw]   (0 outside the image)
#include <cstdint>

namespace he::kernels {
struct ConvGeom {
  int64_t n, c, h, w;  // input
  int64_t kh, kw;      // kernel
  int64_t sh, sw, ph, pw, dh, dw;
  int64_t oh, ow;  // output
};
namespace cpu {
template <class T>
void im2col(const ConvGeom& g, const T* x, T* cols);
// x(N,C,H,W) = sum of the columns that read each pixel (x is overwritten).
template <class T>
void col2im(const ConvGeom& g, const T* cols, T* x);
}  // namespace cpu
}  // namespace he::kernels
