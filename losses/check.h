#pragma once
// Internal helpers shared by the loss files: argument checks that throw std::invalid_argument
// naming the loss and the shapes, and small compositions the engine does not have as ops.
#include <fmt/format.h>

#include <limits>
#include <stdexcept>
#include <string>

#include "engine/engine.h"

namespace he::losses::detail {

inline void require(bool ok, const char* loss, const std::string& what) {
  if (!ok) throw std::invalid_argument(fmt::format("{}: {}", loss, what));
}

inline void require_floating(const Tensor& t, const char* loss, const char* name) {
  require(
      is_floating(t.dtype()), loss,
      fmt::format("{} must be f32 or f64, got {} {}", name, dtype_name(t.dtype()), t.shape_str()));
}

inline void require_dim(const Tensor& t, int64_t dim, const char* loss, const char* name) {
  require(t.dim() == dim, loss, fmt::format("{} must be {}-D, got {}", name, dim, t.shape_str()));
}

inline void require_same_shape(const Tensor& a, const Tensor& b, const char* loss, const char* na,
                               const char* nb) {
  require(a.shape() == b.shape(), loss,
          fmt::format("{} {} and {} {} must have the same shape", na, a.shape_str(), nb,
                      b.shape_str()));
}

// sign with sign(0) = +1, as a constant (no gradient).
inline Tensor sign_pm1(const Tensor& u) {
  Tensor neg = lt(u.detach(), 0.0).to(u.dtype());
  return rsub(1.0, mul(neg, 2.0));
}

// Squared Euclidean distances between the rows of a (M,D) and b (N,D): (M,N), clamped at 0
// (the matmul form can round slightly below zero).
inline Tensor pairwise_sq_dist(const Tensor& a, const Tensor& b) {
  Tensor aa = sum(mul(a, a), {1}, true);      // (M,1)
  Tensor bb = sum(mul(b, b), {1}, true).t();  // (1,N)
  Tensor d = sub(add(aa, bb), mul(matmul(a, b.t()), 2.0));
  return clamp(d, 0.0, std::numeric_limits<double>::infinity());
}

// sqrt with a floor on its argument so that the gradient stays finite at 0.
inline Tensor safe_sqrt(const Tensor& x, double floor = 1e-12) {
  return sqrt(clamp(x, floor, std::numeric_limits<double>::infinity()));
}

// Identity matrix (n,n) of a float dtype (a constant).
inline Tensor eye(int64_t n, DType dt) {
  Tensor e = Tensor::zeros({n, n}, dt);
  dispatch_floating(dt, "eye", [&]<class T>() {
    T* p = e.data<T>();
    for (int64_t i = 0; i < n; ++i) p[i * n + i] = T(1);
  });
  return e;
}

}  // namespace he::losses::detail
