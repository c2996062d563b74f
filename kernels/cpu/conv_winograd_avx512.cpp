// The per-image AVX-512 kernels of the Winograd convolution and of the direct filter gradient
// (kernels/cpu/conv_winograd.h). Images go channels-last (16-lane gathers), so that every
// vector holds 16 channels of one position: the transforms run on whole tiles of such vectors
// (their constant coefficients fold, zeros vanish), and the per-position products, like the
// filter gradient's per-tap ones, are register-blocked GEMMs that broadcast one operand and
// load the other 16 channels at a time.
// Compiled for AVX-512F inside this file only; no standard-library templates are instantiated
// here, so none of them leaks AVX-512 code into the rest of the program.
#if !defined(__clang__)  // GCC 12 false positives inside its own intrinsic headers
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstring>

#include "kernels/cpu/conv_winograd.h"

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,avx512f"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma,avx512f")
#endif

namespace he::kernels::cpu::winograd {
namespace {

constexpr int K6 = kTile;

inline int64_t lesser(int64_t a, int64_t b) { return a < b ? a : b; }

// B^T (6 x 6) and A^T (m x 6) for the points 0, 1, -1, 2, -2, infinity.
constexpr float kBT[6][6] = {{4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
                             {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};
template <int M>
struct OutputMatrix;
template <>
struct OutputMatrix<2> {
  static constexpr float at[2][6] = {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 1}};
};
template <>
struct OutputMatrix<4> {
  static constexpr float at[4][6] = {
      {1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};
};

// out[i * os] = sum_k c(i, k) in[k * is] for i < Rows, with c = mat (Rows x Cols) or, when
// Transposed, mat^T (mat is Cols x Rows). Fully unrolled, so every coefficient is a constant:
// zeros are skipped and +-1 become additions.
template <bool Transposed, int Rows, int Cols, int MR, int MC>
inline void apply(const float (&mat)[MR][MC], const __m512* in, int is, __m512* out, int os) {
#pragma GCC unroll 8
  for (int i = 0; i < Rows; ++i) {
    __m512 acc = _mm512_setzero_ps();
#pragma GCC unroll 8
    for (int k = 0; k < Cols; ++k) {
      const float c = Transposed ? mat[k][i] : mat[i][k];
      const __m512 x = in[k * is];
      if (c == 0.f) continue;
      if (c == 1.f)
        acc = _mm512_add_ps(acc, x);
      else if (c == -1.f)
        acc = _mm512_sub_ps(acc, x);
      else
        acc = _mm512_fmadd_ps(_mm512_set1_ps(c), x, acc);
    }
    out[i * os] = acc;
  }
}

// The four 2-D transforms, on 6 x 6 (or m x m) arrays of vectors with row stride 6.
// V = B^T d B
inline void input_tile(const __m512* d, __m512* v) {
  __m512 t[K6 * K6];
  for (int j = 0; j < K6; ++j) apply<false, 6, 6>(kBT, d + j, K6, t + j, K6);
  for (int i = 0; i < K6; ++i) apply<false, 6, 6>(kBT, t + i * K6, 1, v + i * K6, 1);
}
// dx = B g B^T
inline void input_tile_adjoint(const __m512* g, __m512* dx) {
  __m512 t[K6 * K6];
  for (int j = 0; j < K6; ++j) apply<true, 6, 6>(kBT, g + j, K6, t + j, K6);
  for (int i = 0; i < K6; ++i) apply<true, 6, 6>(kBT, t + i * K6, 1, dx + i * K6, 1);
}
// y (m x m) = A^T p A
template <int M>
inline void output_tile(const __m512* p, __m512* y) {
  constexpr auto& at = OutputMatrix<M>::at;
  __m512 t[M * K6];
  for (int j = 0; j < K6; ++j) apply<false, M, 6>(at, p + j, K6, t + j, K6);
  for (int i = 0; i < M; ++i) apply<false, M, 6>(at, t + i * K6, 1, y + i * K6, 1);
}
// Gy (6 x 6) = A gy A^T, gy m x m
template <int M>
inline void output_tile_adjoint(const __m512* gy, __m512* g) {
  constexpr auto& at = OutputMatrix<M>::at;
  __m512 t[K6 * K6];
  for (int j = 0; j < M; ++j) apply<true, 6, M>(at, gy + j, K6, t + j, K6);
  for (int i = 0; i < K6; ++i) apply<true, 6, M>(at, t + i * K6, 1, g + i * K6, 1);
}

// The k loop of a product: outer x inner steps; step (i, j) reads a + i a_outer + j a_inner
// and b + i b_outer + j b_inner. A plain k loop has outer = 1. The filter gradient walks the
// output plane's rows and columns with it, reading the padded input in place.
struct Steps {
  int64_t outer, inner, a_outer, a_inner, b_outer, b_inner;
};
Steps plain_steps(int64_t kn, int64_t a_step, int64_t b_step) {
  return {1, kn, 0, a_step, 0, b_step};
}

// c[r][v] = sum_k a[r * ars + k] * b[k + 16 v .. +16] for R rows and NV vectors, k
// over `st`: R * NV accumulators in registers, a broadcast from memory, b loaded once per k.
template <int NV, int R>
inline void gemm_block(const Steps& st, const float* a, int64_t ars, const float* b, float* c,
                       int64_t crs) {
  __m512 s[R][NV];
#pragma GCC unroll 32
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) s[r][v] = _mm512_setzero_ps();
  for (int64_t i = 0; i < st.outer; ++i) {
    const float* ai = a + i * st.a_outer;
    const float* bi = b + i * st.b_outer;
    for (int64_t k = 0; k < st.inner; ++k) {
      __m512 bv[NV];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) bv[v] = _mm512_loadu_ps(bi + k * st.b_inner + v * kLanes);
#pragma GCC unroll 32
      for (int r = 0; r < R; ++r) {
        const __m512 av = _mm512_set1_ps(ai[r * ars + k * st.a_inner]);
#pragma GCC unroll 4
        for (int v = 0; v < NV; ++v) s[r][v] = _mm512_fmadd_ps(av, bv[v], s[r][v]);
      }
    }
  }
#pragma GCC unroll 32
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) _mm512_storeu_ps(c + r * crs + v * kLanes, s[r][v]);
}

// One block of rb <= R rows (rb known only at run time).
template <int NV, int R>
void gemm_block_of(int rb, const Steps& st, const float* a, int64_t ars, const float* b, float* c,
                   int64_t crs) {
  if (rb == R)
    gemm_block<NV, R>(st, a, ars, b, c, crs);
  else if constexpr (R > 1)
    gemm_block_of<NV, R - 1>(rb, st, a, ars, b, c, crs);
}

// All rows in the fewest blocks of at most R, their sizes differing by at most one: 32 rows
// as 6+6+5+5+5+5 rather than 6+6+6+6+6+2, whose last block would run at a third of the rate.
template <int NV, int R>
void gemm_rows(int64_t rows, const Steps& st, const float* a, int64_t ars, const float* b, float* c,
               int64_t crs) {
  const int64_t blocks = (rows + R - 1) / R, base = rows / blocks, bigger = rows % blocks;
  int64_t r0 = 0;
  for (int64_t k = 0; k < blocks; ++k) {
    const int rb = static_cast<int>(base + (k < bigger ? 1 : 0));
    gemm_block_of<NV, R>(rb, st, a + r0 * ars, ars, b, c + r0 * crs, crs);
    r0 += rb;
  }
}

// C (rows x cols) = A B, A's rows ars apart, the k steps `st`; cols is a multiple of
// 16, taken 64 at a time. 24 accumulators leave room for the b vectors.
void gemm(int64_t rows, int64_t cols, const Steps& st, const float* a, int64_t ars, const float* b,
          float* c, int64_t crs) {
  for (int64_t c0 = 0; c0 < cols; c0 += 4 * kLanes) {
    const float* bc = b + c0;
    float* cc = c + c0;
    switch (lesser(4, (cols - c0) / kLanes)) {
      case 4:
        gemm_rows<4, 6>(rows, st, a, ars, bc, cc, crs);
        break;
      case 3:
        gemm_rows<3, 8>(rows, st, a, ars, bc, cc, crs);
        break;
      case 2:
        gemm_rows<2, 12>(rows, st, a, ars, bc, cc, crs);
        break;
      default:
        gemm_rows<1, 24>(rows, st, a, ars, bc, cc, crs);
        break;
    }
  }
}

// dst[q * dst_q + c] = src[c * src_c + q] for q < nq and c < nc (a multiple of 16): planes to
// channels-last, 16 channels per gather.
void to_channels_last(const float* src, int64_t src_c, int64_t nq, int64_t nc, float* dst,
                      int64_t dst_q) {
  const __m512i lanes = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  const __m512i idx = _mm512_mullo_epi32(lanes, _mm512_set1_epi32(static_cast<int>(src_c)));
  for (int64_t cb = 0; cb < nc; cb += kLanes) {
    const float* sc = src + cb * src_c;
    for (int64_t q = 0; q < nq; ++q)
      _mm512_storeu_ps(dst + q * dst_q + cb, _mm512_i32gather_ps(idx, sc + q, 4));
  }
}

// dst[c * dst_c + q] = src[q * src_q + c] for q < nq and c < nc: channels-last to planes, 16
// positions per gather.
void from_channels_last(const float* src, int64_t src_q, int64_t nq, int64_t nc, float* dst,
                        int64_t dst_c) {
  const __m512i lanes = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  const __m512i idx = _mm512_mullo_epi32(lanes, _mm512_set1_epi32(static_cast<int>(src_q)));
  for (int64_t c = 0; c < nc; ++c)
    for (int64_t q = 0; q < nq; q += kLanes) {
      const __mmask16 m = static_cast<__mmask16>(nq - q >= kLanes ? 0xffff : (1u << (nq - q)) - 1);
      const __m512 v =
          _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m, idx, src + q * src_q + c, 4);
      _mm512_mask_storeu_ps(dst + c * dst_c + q, m, v);
    }
}

// xp (hp x wp x C) = the image (C x h x w) at offset (ph, pw), zeros around it.
void pad_channels_last(const Shape& s, const float* x, float* xp) {
  const int64_t wp = s.wp();
  std::memset(xp, 0, sizeof(float) * s.hp() * wp * s.c);
  for (int64_t i = 0; i < s.h; ++i)
    to_channels_last(x + i * s.w, s.h * s.w, s.w, s.c, xp + ((i + s.ph) * wp + s.pw) * s.c, s.c);
}

// v[p][t][c] = (B^T d_t B)[p] for every tile t of xp.
void transform_input(const Shape& s, const float* xp, float* v) {
  const int64_t wp = s.wp(), nt = s.tiles();
  __m512 d[K6 * K6], out[K6 * K6];
  for (int64_t a = 0; a < s.ty; ++a)
    for (int64_t b = 0; b < s.tx; ++b) {
      const int64_t t = a * s.tx + b;
      for (int64_t cb = 0; cb < s.c; cb += kLanes) {
        const float* base = xp + ((a * s.m) * wp + b * s.m) * s.c + cb;
        for (int i = 0; i < K6; ++i)
          for (int j = 0; j < K6; ++j) d[i * K6 + j] = _mm512_loadu_ps(base + (i * wp + j) * s.c);
        input_tile(d, out);
        for (int p = 0; p < kPositions; ++p) _mm512_storeu_ps(v + (p * nt + t) * s.c + cb, out[p]);
      }
    }
}

// plane (oh x ow x O) = A^T prod_t A for every tile t, the tiles clipped at the plane's edge.
template <int M>
void transform_output(const Shape& s, const float* prod, float* plane) {
  const int64_t nt = s.tiles();
  __m512 p6[K6 * K6], y[M * K6];
  for (int64_t a = 0; a < s.ty; ++a)
    for (int64_t b = 0; b < s.tx; ++b) {
      const int64_t t = a * s.tx + b;
      const int rows = static_cast<int>(lesser(M, s.oh - a * M));
      const int cols = static_cast<int>(lesser(M, s.ow - b * M));
      for (int64_t ob = 0; ob < s.o; ob += kLanes) {
        for (int p = 0; p < kPositions; ++p)
          p6[p] = _mm512_loadu_ps(prod + (p * nt + t) * s.o + ob);
        output_tile<M>(p6, y);
        for (int i = 0; i < rows; ++i)
          for (int j = 0; j < cols; ++j)
            _mm512_storeu_ps(plane + ((a * M + i) * s.ow + b * M + j) * s.o + ob, y[i * K6 + j]);
      }
    }
}

// g[p][t][o] = (A gy_t A^T)[p] for every tile t of the channels-last output gradient, zero
// beyond the plane's edge.
template <int M>
void transform_output_grad(const Shape& s, const float* plane, float* g) {
  const int64_t nt = s.tiles();
  __m512 gy[M * K6], out[K6 * K6];
  for (int64_t a = 0; a < s.ty; ++a)
    for (int64_t b = 0; b < s.tx; ++b) {
      const int64_t t = a * s.tx + b;
      for (int64_t ob = 0; ob < s.o; ob += kLanes) {
        for (int i = 0; i < M; ++i)
          for (int j = 0; j < M; ++j) {
            const int64_t oy = a * M + i, ox = b * M + j;
            gy[i * K6 + j] = oy < s.oh && ox < s.ow
                                 ? _mm512_loadu_ps(plane + (oy * s.ow + ox) * s.o + ob)
                                 : _mm512_setzero_ps();
          }
        output_tile_adjoint<M>(gy, out);
        for (int p = 0; p < kPositions; ++p) _mm512_storeu_ps(g + (p * nt + t) * s.o + ob, out[p]);
      }
    }
}

// xp (hp x wp x C) = the sum over tiles of B v_t B^T placed at each tile's patch.
void transform_input_grad(const Shape& s, const float* v, float* xp) {
  const int64_t wp = s.wp(), nt = s.tiles();
  std::memset(xp, 0, sizeof(float) * s.hp() * wp * s.c);
  __m512 g[K6 * K6], dx[K6 * K6];
  for (int64_t a = 0; a < s.ty; ++a)
    for (int64_t b = 0; b < s.tx; ++b) {
      const int64_t t = a * s.tx + b;
      for (int64_t cb = 0; cb < s.c; cb += kLanes) {
        for (int p = 0; p < kPositions; ++p) g[p] = _mm512_loadu_ps(v + (p * nt + t) * s.c + cb);
        input_tile_adjoint(g, dx);
        float* base = xp + ((a * s.m) * wp + b * s.m) * s.c + cb;
        for (int i = 0; i < K6; ++i)
          for (int j = 0; j < K6; ++j) {
            float* q = base + (i * wp + j) * s.c;
            _mm512_storeu_ps(q, _mm512_add_ps(_mm512_loadu_ps(q), dx[i * K6 + j]));
          }
      }
    }
}

// plane (oh x ow x O) = the output gradient (O x oh x ow) of one image, channels last.
void output_channels_last(const Shape& s, const float* gy, float* plane) {
  const int64_t np = s.oh * s.ow;
  to_channels_last(gy, np, np, s.o, plane, s.o);
}

template <int M>
void forward_image_m(const Shape& s, const float* x, const float* u, const float* bias, float* y,
                     const Scratch& ws) {
  const int64_t nt = s.tiles(), np = s.oh * s.ow;
  pad_channels_last(s, x, ws.xp);
  transform_input(s, ws.xp, ws.v);
  for (int p = 0; p < kPositions; ++p)
    gemm(nt, s.o, plain_steps(s.c, 1, s.o), ws.v + p * nt * s.c, s.c, u + p * s.c * s.o,
         ws.prod + p * nt * s.o, s.o);
  transform_output<M>(s, ws.prod, ws.plane);
  from_channels_last(ws.plane, s.o, np, s.o, y, np);
  if (bias)
    for (int64_t oc = 0; oc < s.o; ++oc)
      for (int64_t q = 0; q < np; ++q) y[oc * np + q] += bias[oc];
}

// gx = the input gradient of the channels-last output gradient in ws.plane.
template <int M>
void input_grad(const Shape& s, const float* ut, float* gx, const Scratch& ws) {
  const int64_t nt = s.tiles(), wp = s.wp();
  transform_output_grad<M>(s, ws.plane, ws.prod);
  for (int p = 0; p < kPositions; ++p)
    gemm(nt, s.c, plain_steps(s.o, 1, s.c), ws.prod + p * nt * s.o, s.o, ut + p * s.o * s.c,
         ws.v + p * nt * s.c, s.c);
  transform_input_grad(s, ws.v, ws.xp);
  for (int64_t i = 0; i < s.h; ++i)
    from_channels_last(ws.xp + ((i + s.ph) * wp + s.pw) * s.c, s.c, s.w, s.c, gx + i * s.w,
                       s.h * s.w);
}

// sum[ky][kx][c][o] += sum over output positions (y, x) of xp[y + ky][x + kx][c] gy[y][x][o],
// gy channels-last in ws.plane: per filter tap, a (C x O) product whose k steps walk the output
// plane, reading the padded input and the output gradient in place (no column matrix), into
// ws.taps in float, then added to the double sum.
void filter_grad(const Shape& s, const float* x, double* sum, const Scratch& ws) {
  const int64_t wp = s.wp(), taps = static_cast<int64_t>(s.r) * s.r;
  pad_channels_last(s, x, ws.xp);
  const Steps st{s.oh, s.ow, wp * s.c, s.c, s.ow * s.o, s.o};
  for (int ky = 0; ky < s.r; ++ky)
    for (int kx = 0; kx < s.r; ++kx)
      gemm(s.c, s.o, st, ws.xp + (ky * wp + kx) * s.c, 1, ws.plane,
           ws.taps + (ky * s.r + kx) * s.c * s.o, s.o);
  for (int64_t k = 0; k < taps * s.c * s.o; k += kLanes) {  // C x O is a multiple of 16
    const __m512 t = _mm512_loadu_ps(ws.taps + k);
    const __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(t));
    const __m512d hi =
        _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(t), 1)));
    _mm512_storeu_pd(sum + k, _mm512_add_pd(_mm512_loadu_pd(sum + k), lo));
    _mm512_storeu_pd(sum + k + 8, _mm512_add_pd(_mm512_loadu_pd(sum + k + 8), hi));
  }
}

}  // namespace

void forward_image(const Shape& s, const float* x, const float* u, const float* bias, float* y,
                   const Scratch& ws) {
  if (s.m == 2)
    forward_image_m<2>(s, x, u, bias, y, ws);
  else
    forward_image_m<4>(s, x, u, bias, y, ws);
}

void backward_image(const Shape& s, const float* x, const float* ut, const float* gy, float* gx,
                    double* sum, const Scratch& ws) {
  output_channels_last(s, gy, ws.plane);
  if (gx) {
    if (s.m == 2)
      input_grad<2>(s, ut, gx, ws);
    else
      input_grad<4>(s, ut, gx, ws);
  }
  if (sum) filter_grad(s, x, sum, ws);  // ws.plane still holds gy; ws.xp is reused
}

}  // namespace he::kernels::cpu::winograd

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
