#pragma once
// Dense matrix products. Row-major C(M,N) = alpha * op(A)(M,K) op(B)(K,N) + beta * C, where
// op transposes when asked; lda/ldb/ldc are row strides of A, B, C as stored.
#include <cstdint>
#include <string>

namespace he::kernels {
namespace cpu {
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
          const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c,
          int64_t ldc);
// Strided batch: C_i = alpha op(A_i) op(B_i) + beta C_i with A_i = a + i * stride_a (and the
// same for B and C) for i < batch; a stride of 0 reuses one operand for every product.
void gemm_batched(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                  const float* a, int64_t lda, int64_t stride_a, const float* b, int64_t ldb,
                  int64_t stride_b, float beta, float* c, int64_t ldc, int64_t stride_c,
                  int64_t batch);
void gemm_batched(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
                  const double* a, int64_t lda, int64_t stride_a, const double* b, int64_t ldb,
                  int64_t stride_b, double beta, double* c, int64_t ldc, int64_t stride_c,
                  int64_t batch);
// Threads for OpenMP kernels and OpenBLAS together: one pool, so they never oversubscribe.
void set_num_threads(int n);
int num_threads();

// The OpenBLAS kernel set in use ("SkylakeX", "Haswell", ...) and, when the engine chose it
// because OpenBLAS's CPU-model table fell back to pre-AVX2 kernels on a CPU that has AVX2 or
// AVX-512, a note saying so (empty otherwise). The choice is made once, before any product.
struct BlasCore {
  std::string name, note;
  bool dynamic = false;  // OpenBLAS can change its kernel set at run time (DYNAMIC_ARCH)
};
const BlasCore& blas_core();
// The core to use instead of OpenBLAS's `current` one on a CPU with these features, or "" to
// keep it: only pre-AVX2 fallbacks are replaced (SkylakeX with AVX-512, Haswell with AVX2+FMA).
std::string better_blas_core(const std::string& current, bool avx2_fma, bool avx512);
// The same for the features of the CPU this runs on.
std::string better_blas_core(const std::string& current);
}  // namespace cpu
// cuBLAS on the current CUDA device, same row-major contract (device pointers, context
// stream; asynchronous). Dimensions and leading dimensions must fit in int.
namespace cuda {
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
          const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c,
          int64_t ldc);
// Strided batch (one cuBLAS call): C_i = alpha op(A_i) op(B_i) + beta C_i with A_i = a + i *
// stride_a (and the same for B and C) for i < batch; a stride of 0 reuses one operand for every
// product.
void gemm_batched(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                  const float* a, int64_t lda, int64_t stride_a, const float* b, int64_t ldb,
                  int64_t stride_b, float beta, float* c, int64_t ldc, int64_t stride_c,
                  int64_t batch);
void gemm_batched(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
                  const double* a, int64_t lda, int64_t stride_a, const double* b, int64_t ldb,
                  int64_t stride_b, double beta, double* c, int64_t ldc, int64_t stride_c,
                  int64_t batch);
// f32 products use full FP32 unless TF32 tensor cores are allowed (off by default), for the
// current device.
void set_allow_tf32(bool allow);
}  // namespace cuda
}  // namespace he::kernels
