#pragma once
// Winograd convolution on 6 x 6 tiles (Lavin & Gray, "Fast Algorithms for Convolutional Neural
// Networks", CVPR 2016): F(2x2, 5x5) and F(4x4, 3x3), both on the interpolation points
// 0, 1, -1, 2, -2 and infinity, so they share the input transform B^T.
//
// One output tile of m x m values reads a 6 x 6 input patch d. With the filter w transformed
// once to U = G w G^T and the patch to V = B^T d B, the tile is A^T (sum_c U_c . V_c) A: per
// position p of the 6 x 6 transform domain, a product of the (tiles x C) matrix V_p with the
// (C x O) matrix U_p. A 5x5 filter then costs 36 / 4 = 9 multiplies per output value instead
// of 25, a 3x3 one 36 / 16 = 2.25 instead of 9.
//
// The input gradient uses the adjoints of the same transforms: with Gy = A gy A^T (6 x 6 from
// an m x m tile of the output gradient), the gradient of a patch is B (sum_o U_o . Gy_o) B^T,
// added into the overlapping patches. Its rounding differs from im2col's by a few units of the
// values' magnitude (tests/engine/test_conv_winograd.cpp).
//
// The filter gradient stays with im2col + GEMM: in the transform domain it sums products of
// values up to 100x and 9x the inputs over every tile of the batch, and the transform back
// cancels them, so its float error grows with the batch: 6e-6 of the largest value at 4
// images and 2e-5 at 64, against 3e-7 for im2col, and over the 1e-4 elementwise bound of the
// PyTorch parity test (tests/zoo/test_torch_parity_zoo.cpp).
//
// This header is internal to kernels/cpu: kernels/conv.h's conv2d_forward / conv2d_backward
// choose this path for float when conv2d_winograd_applies() says so.
#include <cstdint>

#include "kernels/conv.h"

namespace he::kernels::cpu::winograd {

constexpr int kTile = 6;                   // m + r - 1
constexpr int kPositions = kTile * kTile;  // the transform domain of one tile
constexpr int kLanes = 16;                 // channels per vector; C and O are multiples of it

// One convolution's geometry in tiles.
struct Shape {
  int m, r;              // output tile side and filter side, m + r - 1 = kTile
  int64_t c, o;          // input and output channels
  int64_t h, w, ph, pw;  // input plane and its padding
  int64_t oh, ow;        // output plane
  int64_t ty, tx;        // tiles down and across: ceil(oh / m), ceil(ow / m)
  int64_t tiles() const { return ty * tx; }
  int64_t hp() const { return ty * m + r - 1; }  // the zero-padded input plane
  int64_t wp() const { return tx * m + r - 1; }
};

// One thread's scratch for one image, sizes from scratch_sizes(); 64-byte aligned.
struct Scratch {
  float* xp;     // hp x wp x C: the padded input, or its gradient, channels last
  float* v;      // 36 x tiles x C: V, or sum_o U . Gy
  float* prod;   // 36 x tiles x O: sum_c U . V, or Gy
  float* plane;  // oh x ow x O: the output, or the output gradient, channels last
  float* taps;   // r x r x C x O: one image's filter gradient
};
struct ScratchSizes {
  int64_t xp, v, prod, plane, taps;
};
ScratchSizes scratch_sizes(const Shape& s);

// The AVX-512 kernels (conv_winograd_avx512.cpp); call only when the CPU has AVX-512F.
// u: U as 36 x C x O, ut: U as 36 x O x C. x, y, gy, gx: one image, NCHW; gx is overwritten.
void forward_image(const Shape& s, const float* x, const float* u, const float* bias, float* y,
                   const Scratch& ws);
// One image's backward, the output gradient turned channels-last once for both parts. gx (may
// be null) = the input gradient (Winograd, with ut); sum (r x r x C x O, may be null) += the
// filter gradient summed directly from x (no transform) in float.
void backward_image(const Shape& s, const float* x, const float* ut, const float* gy, float* gx,
                    double* sum, const Scratch& ws);

}  // namespace he::kernels::cpu::winograd
