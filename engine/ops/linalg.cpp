// Dense linear algebra: symmetric eigendecomposition, thin SVD and SPD solve, the LAPACK of
// OpenBLAS behind kernels/lapack.h. The problems these serve are small (bits x bits rotations,
// PCA of a few hundred dims, a classifier's normal equations), so they run on the host in
// double precision: a CUDA tensor is copied to the host and the results copied back to its
// device. No gradient flows through them.
#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "engine/ops.h"
#include "kernels/lapack.h"

namespace he {

namespace {
// x as a contiguous f64 host tensor; throws naming the op unless x is a floating matrix.
Tensor host_f64_matrix(const Tensor& x, const char* op, const char* arg) {
  if (!x.defined() || x.dim() != 2)
    throw std::invalid_argument(fmt::format("{}: {} must be a matrix, got {}", op, arg,
                                            x.defined() ? x.shape_str() : "an undefined tensor"));
  if (x.dtype() != DType::f32 && x.dtype() != DType::f64)
    throw std::invalid_argument(
        fmt::format("{}: {} must be f32 or f64, got {}", op, arg, dtype_name(x.dtype())));
  Tensor h = x.detach();
  if (!h.device().is_cpu()) h = h.to(Device::cpu());
  return h.to(DType::f64).contiguous();
}

void check_square(const Tensor& a, const char* op) {
  if (a.size(0) != a.size(1))
    throw std::invalid_argument(fmt::format("{}: a must be square, got {}", op, a.shape_str()));
}

Tensor on(const Tensor& t, Device d) { return d.is_cpu() ? t : t.to(d); }
}  // namespace

SymmetricEigen symmetric_eigen(const Tensor& a) {
  Tensor h = host_f64_matrix(a, "symmetric_eigen", "a");
  check_square(h, "symmetric_eigen");
  const int64_t n = h.size(0);
  Tensor w = Tensor::empty({n}, DType::f64), v = Tensor::empty({n, n}, DType::f64);
  kernels::cpu::symmetric_eigen(h.data<double>(), n, w.data<double>(), v.data<double>());
  return {on(w, a.device()), on(v, a.device())};
}

Svd svd(const Tensor& a) {
  Tensor h = host_f64_matrix(a, "svd", "a");
  const int64_t m = h.size(0), n = h.size(1), k = std::min(m, n);
  Tensor u = Tensor::empty({m, k}, DType::f64), s = Tensor::empty({k}, DType::f64),
         vt = Tensor::empty({k, n}, DType::f64);
  kernels::cpu::svd(h.data<double>(), m, n, u.data<double>(), s.data<double>(), vt.data<double>());
  return {on(u, a.device()), on(s, a.device()), on(vt, a.device())};
}

Tensor solve_spd(const Tensor& a, const Tensor& b) {
  Tensor ha = host_f64_matrix(a, "solve_spd", "a");
  check_square(ha, "solve_spd");
  Tensor hb = host_f64_matrix(b, "solve_spd", "b");
  if (hb.size(0) != ha.size(0))
    throw std::invalid_argument(
        fmt::format("solve_spd: a {} and b {} differ in rows", a.shape_str(), b.shape_str()));
  if (hb.impl()->storage == b.impl()->storage) hb = hb.clone();  // LAPACK overwrites; b stays
  kernels::cpu::solve_spd(ha.data<double>(), ha.size(0), hb.data<double>(), hb.size(1));
  return on(hb, a.device());
}

}  // namespace he
