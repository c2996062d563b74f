// Matrix products through OpenBLAS (kernels/blas.h). A transposed operand is passed to
// gemm as a transpose flag, not copied.
#include <fmt/format.h>

#include <stdexcept>

#include "engine/ops.h"
#include "engine/ops/args.h"
#include "kernels/blas.h"

namespace he {

namespace {
using V = std::vector<Tensor>;

// How a 2-D operand can reach gemm without a copy: row-major, or row-major transposed.
struct GemmOperand {
  Tensor t;  // possibly a contiguous copy
  bool trans;
  int64_t ld;
};
GemmOperand as_gemm_operand(const Tensor& m) {
  const int64_t r = m.shape()[0], c = m.shape()[1];
  const int64_t s0 = m.strides()[0], s1 = m.strides()[1];
  if ((s1 == 1 || c == 1) && s0 >= std::max<int64_t>(c, 1))
    return {m, false, std::max<int64_t>(s0, 1)};
  if ((s0 == 1 || r == 1) && s1 >= std::max<int64_t>(r, 1))
    return {m, true, std::max<int64_t>(s1, 1)};
  Tensor c2 = m.contiguous();
  return {c2, false, std::max<int64_t>(c, 1)};
}

// out(M,N) = a(M,K) @ b(K,N), 2-D, no autograd.
void gemm_2d(const Tensor& a, const Tensor& b, Tensor& out) {
  GemmOperand A = as_gemm_operand(a), B = as_gemm_operand(b);
  const int64_t M = a.shape()[0], K = a.shape()[1], N = b.shape()[1];
  if (M == 0 || N == 0) return;
  if (K == 0) {
    out.fill_(0);
    return;
  }
  dispatch_floating(a.dtype(), "matmul", [&]<class T>() {
    kernels::cpu::gemm(A.trans, B.trans, M, N, K, T(1), static_cast<const T*>(A.t.raw_data()), A.ld,
                       static_cast<const T*>(B.t.raw_data()), B.ld, T(0), out.data<T>(),
                       std::max<int64_t>(N, 1));
  });
}

// Both operands have >= 2 dims.
Tensor matmul_nd(const Tensor& a, const Tensor& b) {
  const int64_t M = a.size(-2), K = a.size(-1), K2 = b.size(-2), N = b.size(-1);
  if (K != K2)
    throw std::invalid_argument(
        fmt::format("matmul: inner dims differ, {} @ {}", a.shape_str(), b.shape_str()));
  Shape ba(a.shape().begin(), a.shape().end() - 2), bb(b.shape().begin(), b.shape().end() - 2);
  Shape batch = detail::broadcast_shapes({Tensor::empty(ba), Tensor::empty(bb)}, "matmul");
  Shape out_shape = batch;
  out_shape.push_back(M);
  out_shape.push_back(N);
  Tensor out = Tensor::empty(out_shape, a.dtype());
  const int64_t nb = shape_numel(batch);
  if (nb == 1 && a.dim() == 2 && b.dim() == 2) {
    gemm_2d(a, b, out);
  } else {
    Shape ea = batch, eb = batch;
    ea.insert(ea.end(), {M, K});
    eb.insert(eb.end(), {K, N});
    Tensor a3 = a.detach().expand(ea).reshape({nb, M, K});
    Tensor b3 = b.detach().expand(eb).reshape({nb, K, N});
    Tensor o3 = out.view({nb, M, N});
    for (int64_t i = 0; i < nb; ++i) {
      Tensor oi = o3.select(0, i);
      gemm_2d(a3.select(0, i), b3.select(0, i), oi);
    }
  }
  return attach_grad_fn(out, {a, b}, "matmul", [a, b](const Tensor& g) {
    return V{a.requires_grad() ? matmul(g, b.transpose(-1, -2)) : Tensor(),
             b.requires_grad() ? matmul(a.transpose(-1, -2), g) : Tensor()};
  });
}
}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  detail::check_same({a, b}, "matmul");
  detail::check_cpu(a, "matmul");
  if (!is_floating(a.dtype()))
    throw std::invalid_argument(std::string("matmul: expected f32/f64, got ") +
                                dtype_name(a.dtype()));
  if (a.dim() == 0 || b.dim() == 0)
    throw std::invalid_argument("matmul: scalar operand " + a.shape_str() + " @ " + b.shape_str());
  if (a.dim() == 1 && b.dim() == 1) return matmul_nd(a.unsqueeze(0), b.unsqueeze(1)).reshape({});
  if (a.dim() == 1) return matmul_nd(a.unsqueeze(0), b).squeeze(-2);
  if (b.dim() == 1) return matmul_nd(a, b.unsqueeze(1)).squeeze(-1);
  return matmul_nd(a, b);
}

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b) {
  detail::check_same({x, w}, "linear");
  detail::check_cpu(x, "linear");
  if (b.defined()) detail::check_same({x, b}, "linear");
  if (!is_floating(x.dtype()))
    throw std::invalid_argument(std::string("linear: expected f32/f64, got ") +
                                dtype_name(x.dtype()));
  if (x.dim() < 1 || w.dim() != 2 || x.size(-1) != w.size(1) ||
      (b.defined() && (b.dim() != 1 || b.size(0) != w.size(0))))
    throw std::invalid_argument(fmt::format("linear: input {} does not fit weight {} and bias {}",
                                            x.shape_str(), w.shape_str(),
                                            b.defined() ? b.shape_str() : "none"));
  const int64_t in = w.size(1), out_f = w.size(0);
  Tensor x2 = x.detach().reshape({-1, in});
  const int64_t rows = x2.size(0);
  Tensor out = Tensor::empty({rows, out_f}, x.dtype());
  gemm_2d(x2, w.detach().t(), out);
  if (b.defined()) {
    Tensor bc = b.contiguous();
    dispatch_floating(x.dtype(), "linear", [&]<class T>() {
      T* o = out.data<T>();
      const T* bias = bc.data<T>();
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < out_f; ++j) o[i * out_f + j] += bias[j];
    });
  }
  Shape out_shape = x.shape();
  out_shape.back() = out_f;
  out = out.reshape(out_shape);
  const Shape xs = x.shape();
  return attach_grad_fn(out, {x, w, b}, "linear",
                        [x, x2, w, b, xs, rows, in, out_f](const Tensor& g) {
                          Tensor g2 = g.reshape({rows, out_f});
                          Tensor gx, gw, gb;
                          if (x.requires_grad()) {
                            gx = Tensor::empty({rows, in}, g.dtype());
                            gemm_2d(g2, w.detach(), gx);
                            gx = gx.reshape(xs);
                          }
                          if (w.requires_grad()) {
                            gw = Tensor::empty({out_f, in}, g.dtype());
                            gemm_2d(g2.t(), x2, gw);
                          }
                          if (b.defined() && b.requires_grad()) gb = sum(g2, {0});
                          return V{gx, gw, gb};
                        });
}

Tensor outer(const Tensor& a, const Tensor& b) {
  if (a.dim() != 1 || b.dim() != 1)
    throw std::invalid_argument("outer: expected two 1-D tensors, got " + a.shape_str() + " and " +
                                b.shape_str());
  return matmul(a.unsqueeze(1), b.unsqueeze(0));
}

}  // namespace he
