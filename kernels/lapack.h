#pragma once
// Dense linear algebra from the LAPACK inside OpenBLAS (row-major wrappers, double).
#include <cstdint>

namespace he::kernels::cpu {
// a:(n,n) symmetric, row-major -> eigenvalues w (n) ascending, eigenvectors as the COLUMNS
// of v (n,n) row-major. Throws std::runtime_error on failure.
void symmetric_eigen(const double* a, int64_t n, double* w, double* v);
// a:(m,n) row-major = u (m,k) diag(s) vt (k,n), k = min(m,n) (thin SVD).
void svd(const double* a, int64_t m, int64_t n, double* u, double* s, double* vt);
// Solves a x = b for symmetric positive definite a:(n,n); b:(n,r) row-major, overwritten by x.
void solve_spd(const double* a, int64_t n, double* b, int64_t r);
}  // namespace he::kernels::cpu
