// Matrix products through OpenBLAS or cuBLAS (kernels/blas.h). A transposed operand is passed
// to gemm as a transpose flag, not copied; a batch of products is one strided-batched call.
#include <fmt/format.h>

#include <stdexcept>

#include "engine/ops.h"
#include "engine/ops/args.h"
#include "engine/ops/dispatch.h"
#include "kernels/blas.h"
#include "kernels/elementwise.h"

namespace he {

namespace {
using V = std::vector<Tensor>;

// How the last two dims of an operand reach gemm: row-major (ld = row stride) or row-major
// transposed (ld = column stride). `t` is the operand itself or, when neither fits, a
// contiguous copy.
struct GemmOperand {
  Tensor t;
  bool trans;
  int64_t ld;
};
GemmOperand as_gemm_operand(const Tensor& m) {
  const int64_t r = m.size(-2), c = m.size(-1);
  const int64_t s0 = m.strides()[m.dim() - 2], s1 = m.strides()[m.dim() - 1];
  if ((s1 == 1 || c == 1) && s0 >= std::max<int64_t>(c, 1))
    return {m, false, std::max<int64_t>(s0, 1)};
  if ((s0 == 1 || r == 1) && s1 >= std::max<int64_t>(r, 1))
    return {m, true, std::max<int64_t>(s1, 1)};
  Tensor c2 = m.contiguous();
  return {c2, false, std::max<int64_t>(c, 1)};
}

// out(B,M,N) = a(B,M,K) @ b(B,K,N) (or 2-D, B = 1), no autograd; out is contiguous.
void gemm_raw(const Tensor& a, const Tensor& b, Tensor& out) {
  GemmOperand A = as_gemm_operand(a), B = as_gemm_operand(b);
  const int64_t M = a.size(-2), K = a.size(-1), N = b.size(-1);
  if (M == 0 || N == 0) return;
  if (K == 0) {
    out.fill_(0);
    return;
  }
  const bool batched = a.dim() == 3;
  const int64_t batch = batched ? a.size(0) : 1;
  const int64_t sa = batched ? A.t.strides()[0] : 0, sb = batched ? B.t.strides()[0] : 0;
  dispatch_floating(a.dtype(), "matmul", [&]<class T>() {
    const T *pa = A.t.data_ptr<T>(), *pb = B.t.data_ptr<T>();
    T* pc = out.data_ptr<T>();
    const int64_t ldc = std::max<int64_t>(N, 1);
    detail::on_device(out.device(), [&](auto backend) {
      if constexpr (backend.cuda) {
        if (batched)
          kernels::cuda::gemm_batched(A.trans, B.trans, M, N, K, T(1), pa, A.ld, sa, pb, B.ld, sb,
                                      T(0), pc, ldc, M * N, batch);
        else
          kernels::cuda::gemm(A.trans, B.trans, M, N, K, T(1), pa, A.ld, pb, B.ld, T(0), pc, ldc);
      } else {
        if (batched)
          kernels::cpu::gemm_batched(A.trans, B.trans, M, N, K, T(1), pa, A.ld, sa, pb, B.ld, sb,
                                     T(0), pc, ldc, M * N, batch);
        else
          kernels::cpu::gemm(A.trans, B.trans, M, N, K, T(1), pa, A.ld, pb, B.ld, T(0), pc, ldc);
      }
    });
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
  Tensor out = Tensor::empty(out_shape, a.dtype(), a.device());
  const int64_t nb = shape_numel(batch);
  if (nb == 1 && a.dim() == 2 && b.dim() == 2) {
    gemm_raw(a, b, out);
  } else {
    Shape ea = batch, eb = batch;
    ea.insert(ea.end(), {M, K});
    eb.insert(eb.end(), {K, N});
    Tensor o3 = out.view({nb, M, N});
    gemm_raw(a.detach().expand(ea).reshape({nb, M, K}), b.detach().expand(eb).reshape({nb, K, N}),
             o3);
  }
  return attach_grad_fn(out, {a, b}, "matmul", [a, b](const Tensor& g) {
    return V{a.requires_grad() ? matmul(g, b.transpose(-1, -2)) : Tensor(),
             b.requires_grad() ? matmul(a.transpose(-1, -2), g) : Tensor()};
  });
}

// y(rows, cols) += bias(cols).
void add_bias_raw(Tensor& y, const Tensor& bias) {
  Tensor bc = bias.contiguous();
  dispatch_floating(y.dtype(), "linear", [&]<class T>() {
    const T* pb = bc.data_ptr<T>();
    T* py = y.data_ptr<T>();
    detail::on_device(y.device(), [&](auto backend) {
      if constexpr (backend.cuda)
        kernels::cuda::add_bias(py, pb, y.size(0), y.size(1), 1);
      else
        kernels::cpu::add_bias(py, pb, y.size(0), y.size(1), 1);
    });
  });
}
}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  detail::check_same({a, b}, "matmul");
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
  Tensor out = Tensor::empty({rows, out_f}, x.dtype(), x.device());
  gemm_raw(x2, w.detach().t(), out);
  if (b.defined()) add_bias_raw(out, b);
  Shape out_shape = x.shape();
  out_shape.back() = out_f;
  out = out.reshape(out_shape);
  const Shape xs = x.shape();
  return attach_grad_fn(out, {x, w, b}, "linear",
                        [x, x2, w, b, xs, rows, in, out_f](const Tensor& g) {
                          Tensor g2 = g.reshape({rows, out_f});
                          Tensor gx, gw, gb;
                          if (x.requires_grad()) {
                            gx = Tensor::empty({rows, in}, g.dtype(), g.device());
                            gemm_raw(g2, w.detach(), gx);
                            gx = gx.reshape(xs);
                          }
                          if (w.requires_grad()) {
                            gw = Tensor::empty({out_f, in}, g.dtype(), g.device());
                            gemm_raw(g2.t(), x2, gw);
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
