// Nearest-centroid assignment on the inputs' device, and the dense factorisations, which
// run on the host (see engine/ops.h).
#include <fmt/format.h>

#include <stdexcept>

#include "engine/ops.h"
#include "engine/ops/args.h"
#include "engine/ops/dispatch.h"
#include "kernels/kmeans.h"
#include "kernels/lapack.h"

namespace he {

KMeansAssignment kmeans_assign(const Tensor& x, const Tensor& centroids) {
  detail::check_same({x, centroids}, "kmeans_assign");
  if (x.dtype() != DType::f32 || x.dim() != 2 || centroids.dim() != 2 ||
      centroids.size(1) != x.size(1))
    throw std::invalid_argument(
        fmt::format("kmeans_assign: expected x (n,d) and centroids (k,d) in f32, got {} {} and {}",
                    dtype_name(x.dtype()), x.shape_str(), centroids.shape_str()));
  const int64_t n = x.size(0), d = x.size(1), k = centroids.size(0);
  Tensor xc = x.contiguous(), cc = centroids.contiguous();
  KMeansAssignment out{Tensor::empty({n}, DType::i64, x.device()),
                       Tensor::empty({n}, DType::f32, x.device())};
  const float *px = xc.data_ptr<float>(), *pc = cc.data_ptr<float>();
  int64_t* pa = out.assign.data_ptr<int64_t>();
  float* pd = out.dist2.data_ptr<float>();
  detail::on_device(x.device(), [&](auto backend) {
    if constexpr (backend.cuda)
      kernels::cuda::kmeans_assign(px, n, d, pc, k, pa, pd);
    else
      kernels::cpu::kmeans_assign(px, n, d, pc, k, pa, pd);
  });
  return out;
}

namespace {
// A contiguous f64 copy on the host (the factorisations' input).
Tensor host_f64(const Tensor& a) {
  return a.detach().to(Device::cpu()).to(DType::f64).contiguous();
}
// A host f64 result back on `like`'s device and dtype.
Tensor back_to(const Tensor& r, const Tensor& like) { return r.to(like.dtype()).to(like.device()); }

void check_square(const Tensor& a, const char* op) {
  if (a.dim() != 2 || a.size(0) != a.size(1) || !is_floating(a.dtype()))
    throw std::invalid_argument(fmt::format("{}: expected a square f32/f64 matrix, got {} {}", op,
                                            dtype_name(a.dtype()), a.shape_str()));
}
}  // namespace

SymmetricEigen symmetric_eigen(const Tensor& a) {
  check_square(a, "symmetric_eigen");
  const int64_t n = a.size(0);
  Tensor h = host_f64(a);
  Tensor w = Tensor::empty({n}, DType::f64), v = Tensor::empty({n, n}, DType::f64);
  kernels::cpu::symmetric_eigen(h.data<double>(), n, w.data<double>(), v.data<double>());
  return {back_to(w, a), back_to(v, a)};
}

ThinSvd svd(const Tensor& a) {
  if (a.dim() != 2 || !is_floating(a.dtype()))
    throw std::invalid_argument(fmt::format("svd: expected an f32/f64 matrix, got {} {}",
                                            dtype_name(a.dtype()), a.shape_str()));
  const int64_t m = a.size(0), n = a.size(1), k = std::min(m, n);
  Tensor h = host_f64(a);
  Tensor u = Tensor::empty({m, k}, DType::f64), s = Tensor::empty({k}, DType::f64),
         vt = Tensor::empty({k, n}, DType::f64);
  kernels::cpu::svd(h.data<double>(), m, n, u.data<double>(), s.data<double>(), vt.data<double>());
  return {back_to(u, a), back_to(s, a), back_to(vt, a)};
}

Tensor solve_spd(const Tensor& a, const Tensor& b) {
  check_square(a, "solve_spd");
  detail::check_same({a, b}, "solve_spd");
  if (b.dim() != 2 || b.size(0) != a.size(0))
    throw std::invalid_argument(
        fmt::format("solve_spd: a {} and b {} do not fit", a.shape_str(), b.shape_str()));
  Tensor h = host_f64(a);
  Tensor x = host_f64(b).clone();  // overwritten by the solution
  kernels::cpu::solve_spd(h.data<double>(), a.size(0), x.data<double>(), b.size(1));
  return back_to(x, b);
}

}  // namespace he
