#include "kernels/lapack.h"

#include <stdexcept>
#include <string>
#include <vector>

extern "C" {
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w,
             double* work, const int* lwork, int* iwork, const int* liwork, int* info);
void dgesvd_(const char* jobu, const char* jobvt, const int* m, const int* n, double* a,
             const int* lda, double* s, double* u, const int* ldu, double* vt, const int* ldvt,
             double* work, const int* lwork, int* info);
void dposv_(const char* uplo, const int* n, const int* nrhs, double* a, const int* lda, double* b,
            const int* ldb, int* info);
}

namespace he::kernels::cpu {

namespace {
void check(int info, const char* what) {
  if (info != 0)
    throw std::runtime_error(std::string(what) + " failed (LAPACK info " + std::to_string(info) +
                             ")");
}
// LAPACK is column-major: transposes between the layouts.
std::vector<double> to_col(const double* a, int64_t m, int64_t n) {
  std::vector<double> c(m * n);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) c[j * m + i] = a[i * n + j];
  return c;
}
void from_col(const std::vector<double>& c, int64_t m, int64_t n, double* a) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) a[i * n + j] = c[j * m + i];
}
}  // namespace

void symmetric_eigen(const double* a, int64_t n64, double* w, double* v) {
  int n = static_cast<int>(n64), info = 0, lwork = -1, liwork = -1, iwq = 0;
  std::vector<double> c = to_col(a, n, n);
  double wq = 0;
  dsyevd_("V", "U", &n, c.data(), &n, w, &wq, &lwork, &iwq, &liwork, &info);
  check(info, "symmetric_eigen (workspace query)");
  lwork = static_cast<int>(wq), liwork = iwq;
  std::vector<double> work(lwork);
  std::vector<int> iwork(liwork);
  dsyevd_("V", "U", &n, c.data(), &n, w, work.data(), &lwork, iwork.data(), &liwork, &info);
  check(info, "symmetric_eigen");
  from_col(c, n, n, v);
}

void svd(const double* a, int64_t m64, int64_t n64, double* u, double* s, double* vt) {
  int m = static_cast<int>(m64), n = static_cast<int>(n64), k = std::min(m, n), info = 0,
      lwork = -1;
  std::vector<double> c = to_col(a, m, n), uc(static_cast<size_t>(m) * k),
                      vc(static_cast<size_t>(k) * n);
  double wq = 0;
  dgesvd_("S", "S", &m, &n, c.data(), &m, s, uc.data(), &m, vc.data(), &k, &wq, &lwork, &info);
  check(info, "svd (workspace query)");
  lwork = static_cast<int>(wq);
  std::vector<double> work(lwork);
  dgesvd_("S", "S", &m, &n, c.data(), &m, s, uc.data(), &m, vc.data(), &k, work.data(), &lwork,
          &info);
  check(info, "svd");
  from_col(uc, m, k, u);
  from_col(vc, k, n, vt);
}

void solve_spd(const double* a, int64_t n64, double* b, int64_t r64) {
  int n = static_cast<int>(n64), r = static_cast<int>(r64), info = 0;
  std::vector<double> ac = to_col(a, n, n), bc = to_col(b, n, r);
  dposv_("U", &n, &r, ac.data(), &n, bc.data(), &n, &info);
  check(info, "solve_spd (matrix not positive definite?)");
  from_col(bc, n, r, b);
}

}  // namespace he::kernels::cpu
