// cuBLAS GEMM behind the row-major contract of kernels/blas.h. cuBLAS is column-major: a
// row-major C(M,N) is a column-major C^T(N,M), and C^T = op(B)^T op(A)^T, so the call swaps
// the operands (B first) and the sizes (N, M) and keeps every leading dimension as given.
#include <climits>
#include <stdexcept>
#include <string>

#include "kernels/blas.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"

namespace he::kernels::cuda {
namespace {

void check_dims(int64_t m, int64_t n, int64_t k, int64_t lda, int64_t ldb, int64_t ldc) {
  for (int64_t v : {m, n, k, lda, ldb, ldc})
    if (v < 0 || v > INT_MAX)
      throw std::invalid_argument("gemm (cuda): sizes must fit in int, got m=" + std::to_string(m) +
                                  " n=" + std::to_string(n) + " k=" + std::to_string(k) +
                                  " lda=" + std::to_string(lda) + " ldb=" + std::to_string(ldb) +
                                  " ldc=" + std::to_string(ldc));
}

cublasOperation_t op(bool t) { return t ? CUBLAS_OP_T : CUBLAS_OP_N; }

}  // namespace

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  check_dims(m, n, k, lda, ldb, ldc);
  if (m == 0 || n == 0) return;
  Context& ctx = current_context();
  std::lock_guard<std::mutex> lock(ctx.mu);
  HE_CUBLAS_CHECK(cublasSgemm(ctx.cublas, op(tb), op(ta), int(n), int(m), int(k), &alpha, b,
                              int(ldb), a, int(lda), &beta, c, int(ldc)));
}

void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
          int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  check_dims(m, n, k, lda, ldb, ldc);
  if (m == 0 || n == 0) return;
  Context& ctx = current_context();
  std::lock_guard<std::mutex> lock(ctx.mu);
  HE_CUBLAS_CHECK(cublasDgemm(ctx.cublas, op(tb), op(ta), int(n), int(m), int(k), &alpha, b,
                              int(ldb), a, int(lda), &beta, c, int(ldc)));
}

void gemm_batched(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                  int64_t lda, int64_t stride_a, const float* b, int64_t ldb, int64_t stride_b,
                  float beta, float* c, int64_t ldc, int64_t stride_c, int64_t batch) {
  check_dims(m, n, k, lda, ldb, ldc);
  check_dims(batch, 0, 0, 0, 0, 0);
  if (m == 0 || n == 0 || batch == 0) return;
  Context& ctx = current_context();
  std::lock_guard<std::mutex> lock(ctx.mu);
  HE_CUBLAS_CHECK(cublasSgemmStridedBatched(ctx.cublas, op(tb), op(ta), int(n), int(m), int(k),
                                            &alpha, b, int(ldb), stride_b, a, int(lda), stride_a,
                                            &beta, c, int(ldc), stride_c, int(batch)));
}

void gemm_batched(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
                  int64_t lda, int64_t stride_a, const double* b, int64_t ldb, int64_t stride_b,
                  double beta, double* c, int64_t ldc, int64_t stride_c, int64_t batch) {
  check_dims(m, n, k, lda, ldb, ldc);
  check_dims(batch, 0, 0, 0, 0, 0);
  if (m == 0 || n == 0 || batch == 0) return;
  Context& ctx = current_context();
  std::lock_guard<std::mutex> lock(ctx.mu);
  HE_CUBLAS_CHECK(cublasDgemmStridedBatched(ctx.cublas, op(tb), op(ta), int(n), int(m), int(k),
                                            &alpha, b, int(ldb), stride_b, a, int(lda), stride_a,
                                            &beta, c, int(ldc), stride_c, int(batch)));
}

void set_allow_tf32(bool allow) {
  Context& ctx = current_context();
  std::lock_guard<std::mutex> lock(ctx.mu);
  HE_CUBLAS_CHECK(
      cublasSetMathMode(ctx.cublas, allow ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
}

}  // namespace he::kernels::cuda
