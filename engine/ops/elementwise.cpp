// Elementwise ops: forward through kernels/elementwise.h on the inputs' device, backward as
// other ops.
#include <stdexcept>

#include "engine/ops.h"
#include "engine/ops/args.h"
#include "engine/ops/dispatch.h"
#include "kernels/elementwise.h"

namespace he {

using kernels::Binary;
using kernels::Compare;
using kernels::Unary;
using V = std::vector<Tensor>;

namespace {

// Calls f.template operator()<T>() for the dtypes with arithmetic (not u8 / u64).
template <class F>
void dispatch_arithmetic(DType t, const char* op, F&& f) {
  switch (t) {
    case DType::f32:
      return f.template operator()<float>();
    case DType::f64:
      return f.template operator()<double>();
    case DType::i32:
      return f.template operator()<int32_t>();
    case DType::i64:
      return f.template operator()<int64_t>();
    default:
      throw std::invalid_argument(std::string(op) + ": not defined for dtype " + dtype_name(t));
  }
}

// out = a op b, broadcast.
Tensor binary_raw(Binary op, const Tensor& a, const Tensor& b, const char* name) {
  detail::check_same({a, b}, name);
  Tensor out = Tensor::empty(detail::broadcast_shapes({a, b}, name), a.dtype(), a.device());
  kernels::Strided l = detail::broadcast_layout(out, {a, b}, name);
  dispatch_arithmetic(a.dtype(), name, [&]<class T>() {
    const T *pa = a.data_ptr<T>(), *pb = b.data_ptr<T>();
    T* po = out.data_ptr<T>();
    detail::on_device(out.device(), [&](auto backend) {
      if constexpr (backend.cuda)
        kernels::cuda::binary(op, l, pa, pb, po);
      else
        kernels::cpu::binary(op, l, pa, pb, po);
    });
  });
  return out;
}

// y = op(x; a, b) elementwise, floating dtypes.
Tensor unary_raw(Unary op, const Tensor& x, const char* name, double a = 0, double b = 0) {
  Tensor in = x.contiguous();
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  dispatch_floating(x.dtype(), name, [&]<class T>() {
    const T* px = in.data_ptr<T>();
    T* py = out.data_ptr<T>();
    detail::on_device(out.device(), [&](auto backend) {
      if constexpr (backend.cuda)
        kernels::cuda::unary(op, px, py, in.numel(), a, b);
      else
        kernels::cpu::unary(op, px, py, in.numel(), a, b);
    });
  });
  return out;
}

// u8 0/1 = a cmp b, broadcast.
Tensor compare_raw(Compare op, const Tensor& a, const Tensor& b, const char* name) {
  detail::check_same({a, b}, name);
  Tensor out = Tensor::empty(detail::broadcast_shapes({a, b}, name), DType::u8, a.device());
  kernels::Strided l = detail::broadcast_layout(out, {a, b}, name);
  dispatch_all(a.dtype(), [&]<class T>() {
    const T *pa = a.data_ptr<T>(), *pb = b.data_ptr<T>();
    uint8_t* po = out.data_ptr<uint8_t>();
    detail::on_device(out.device(), [&](auto backend) {
      if constexpr (backend.cuda)
        kernels::cuda::compare(op, l, pa, pb, po);
      else
        kernels::cpu::compare(op, l, pa, pb, po);
    });
  });
  return out;
}

Tensor mask(const Tensor& m, DType dt) { return m.to(dt); }  // u8 0/1 -> float 0/1
// A 0-dim tensor of t's dtype on t's device.
Tensor scalar_like(double v, const Tensor& t) { return Tensor::full({}, v, t.dtype(), t.device()); }

}  // namespace

// ---- binary ----
Tensor add(const Tensor& a, const Tensor& b) {
  return attach_grad_fn(binary_raw(Binary::Add, a, b, "add"), {a, b}, "add", [](const Tensor& g) {
    return V{g, g};
  });
}
Tensor sub(const Tensor& a, const Tensor& b) {
  return attach_grad_fn(binary_raw(Binary::Sub, a, b, "sub"), {a, b}, "sub", [](const Tensor& g) {
    return V{g, neg(g)};
  });
}
Tensor mul(const Tensor& a, const Tensor& b) {
  return attach_grad_fn(binary_raw(Binary::Mul, a, b, "mul"), {a, b}, "mul",
                        [a, b](const Tensor& g) {
                          return V{a.requires_grad() ? mul(g, b) : Tensor(),
                                   b.requires_grad() ? mul(g, a) : Tensor()};
                        });
}
Tensor div(const Tensor& a, const Tensor& b) {
  return attach_grad_fn(binary_raw(Binary::Div, a, b, "div"), {a, b}, "div",
                        [a, b](const Tensor& g) {
                          Tensor ga = div(g, b);
                          return V{ga, b.requires_grad() ? neg(mul(ga, div(a, b))) : Tensor()};
                        });
}
Tensor maximum(const Tensor& a, const Tensor& b) {
  return attach_grad_fn(binary_raw(Binary::Max, a, b, "maximum"), {a, b}, "maximum",
                        [a, b](const Tensor& g) {
                          Tensor half = mul(mask(eq(a, b), g.dtype()), 0.5);
                          return V{mul(g, add(mask(gt(a, b), g.dtype()), half)),
                                   mul(g, add(mask(lt(a, b), g.dtype()), half))};
                        });
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  return attach_grad_fn(binary_raw(Binary::Min, a, b, "minimum"), {a, b}, "minimum",
                        [a, b](const Tensor& g) {
                          Tensor half = mul(mask(eq(a, b), g.dtype()), 0.5);
                          return V{mul(g, add(mask(lt(a, b), g.dtype()), half)),
                                   mul(g, add(mask(gt(a, b), g.dtype()), half))};
                        });
}
Tensor pow(const Tensor& a, const Tensor& b) {
  Tensor out = binary_raw(Binary::Pow, a, b, "pow");
  return attach_grad_fn(out, {a, b}, "pow", [a, b, y = out.detach()](const Tensor& g) {
    return V{a.requires_grad() ? mul(g, mul(b, pow(a, sub(b, 1.0)))) : Tensor(),
             b.requires_grad() ? mul(g, mul(y, log(a))) : Tensor()};
  });
}

// ---- with a scalar ----
Tensor add(const Tensor& a, double b) {
  return attach_grad_fn(unary_raw(Unary::AddScalar, a, "add", b), {a}, "add_scalar",
                        [](const Tensor& g) { return V{g}; });
}
Tensor sub(const Tensor& a, double b) { return add(a, -b); }
Tensor rsub(double a, const Tensor& b) {
  return attach_grad_fn(unary_raw(Unary::RSubScalar, b, "rsub", a), {b}, "rsub",
                        [](const Tensor& g) { return V{neg(g)}; });
}
Tensor mul(const Tensor& a, double b) {
  return attach_grad_fn(unary_raw(Unary::MulScalar, a, "mul", b), {a}, "mul_scalar",
                        [b](const Tensor& g) { return V{mul(g, b)}; });
}
Tensor div(const Tensor& a, double b) { return mul(a, 1.0 / b); }
Tensor rdiv(double a, const Tensor& b) {
  return attach_grad_fn(unary_raw(Unary::RDivScalar, b, "rdiv", a), {b}, "rdiv",
                        [a, b](const Tensor& g) { return V{mul(g, rdiv(-a, mul(b, b)))}; });
}
Tensor pow(const Tensor& a, double e) {
  if (e == 1.0) return mul(a, 1.0);
  return attach_grad_fn(unary_raw(Unary::PowScalar, a, "pow", e), {a}, "pow_scalar",
                        [a, e](const Tensor& g) { return V{mul(g, mul(pow(a, e - 1), e))}; });
}

// ---- unary ----
Tensor neg(const Tensor& x) {
  return attach_grad_fn(unary_raw(Unary::Neg, x, "neg"), {x}, "neg",
                        [](const Tensor& g) { return V{neg(g)}; });
}
Tensor exp(const Tensor& x) {
  Tensor y = unary_raw(Unary::Exp, x, "exp");
  return attach_grad_fn(y, {x}, "exp", [y = y.detach()](const Tensor& g) { return V{mul(g, y)}; });
}
Tensor log(const Tensor& x) {
  return attach_grad_fn(unary_raw(Unary::Log, x, "log"), {x}, "log",
                        [x](const Tensor& g) { return V{div(g, x)}; });
}
Tensor sqrt(const Tensor& x) {
  Tensor y = unary_raw(Unary::Sqrt, x, "sqrt");
  return attach_grad_fn(y, {x}, "sqrt",
                        [y = y.detach()](const Tensor& g) { return V{div(mul(g, 0.5), y)}; });
}
Tensor abs(const Tensor& x) {
  return attach_grad_fn(unary_raw(Unary::Abs, x, "abs"), {x}, "abs",
                        [x](const Tensor& g) { return V{mul(g, sign(x))}; });
}
Tensor tanh(const Tensor& x) {
  Tensor y = unary_raw(Unary::Tanh, x, "tanh");
  return attach_grad_fn(y, {x}, "tanh", [y = y.detach()](const Tensor& g) {
    return V{mul(g, rsub(1.0, mul(y, y)))};
  });
}
Tensor sigmoid(const Tensor& x) {
  Tensor y = unary_raw(Unary::Sigmoid, x, "sigmoid");
  return attach_grad_fn(y, {x}, "sigmoid", [y = y.detach()](const Tensor& g) {
    return V{mul(g, mul(y, rsub(1.0, y)))};
  });
}
Tensor relu(const Tensor& x) {
  return attach_grad_fn(unary_raw(Unary::Relu, x, "relu"), {x}, "relu", [x](const Tensor& g) {
    return V{binary_raw(Binary::PassIfPositive, g, x, "relu backward")};
  });
}
Tensor leaky_relu(const Tensor& x, double slope) {
  return attach_grad_fn(unary_raw(Unary::LeakyRelu, x, "leaky_relu", slope), {x}, "leaky_relu",
                        [x, slope](const Tensor& g) {
                          Tensor m = mask(gt(x, 0.0), g.dtype());  // 1 or slope
                          return V{mul(g, add(mul(m, 1.0 - slope), slope))};
                        });
}
Tensor elu(const Tensor& x, double alpha) {
  Tensor y = unary_raw(Unary::Elu, x, "elu", alpha);
  return attach_grad_fn(y, {x}, "elu", [x, alpha, y = y.detach()](const Tensor& g) {
    return V{mul(g, where(gt(x, 0.0), scalar_like(1.0, g), add(y, alpha)))};
  });
}
Tensor softplus(const Tensor& x, double beta, double threshold) {
  return attach_grad_fn(
      unary_raw(Unary::Softplus, x, "softplus", beta, threshold), {x}, "softplus",
      [x, beta, threshold](const Tensor& g) {
        Tensor s = sigmoid(mul(x, beta));
        return V{mul(g, where(gt(mul(x, beta), threshold), scalar_like(1.0, g), s))};
      });
}
Tensor clamp(const Tensor& x, double lo, double hi) {
  if (lo > hi) throw std::invalid_argument("clamp: lo > hi");
  return attach_grad_fn(unary_raw(Unary::Clamp, x, "clamp", lo, hi), {x}, "clamp",
                        [x, lo, hi](const Tensor& g) {
                          Tensor inside = mul(mask(ge(x, scalar_like(lo, x)), g.dtype()),
                                              mask(le(x, scalar_like(hi, x)), g.dtype()));
                          return V{mul(g, inside)};
                        });
}
Tensor sign(const Tensor& x) { return unary_raw(Unary::Sign, x, "sign"); }

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  if (cond.dtype() != DType::u8)
    throw std::invalid_argument(std::string("where: condition must be u8, got ") +
                                dtype_name(cond.dtype()));
  detail::check_same({a, b}, "where");
  const Device dev = detail::common_device({cond, a, b}, "where");
  Tensor out = Tensor::empty(detail::broadcast_shapes({cond, a, b}, "where"), a.dtype(), dev);
  kernels::Strided l = detail::broadcast_layout(out, {cond, a, b}, "where");
  dispatch_all(a.dtype(), [&]<class T>() {
    const uint8_t* pc = cond.data_ptr<uint8_t>();
    const T *pa = a.data_ptr<T>(), *pb = b.data_ptr<T>();
    T* po = out.data_ptr<T>();
    detail::on_device(dev, [&](auto backend) {
      if constexpr (backend.cuda)
        kernels::cuda::where(l, pc, pa, pb, po);
      else
        kernels::cpu::where(l, pc, pa, pb, po);
    });
  });
  return attach_grad_fn(out, {Tensor(), a, b}, "where", [cond](const Tensor& g) {
    Tensor zero = scalar_like(0.0, g);
    return V{Tensor(), where(cond, g, zero), where(cond, zero, g)};
  });
}

// ---- comparisons (no gradient) ----
Tensor eq(const Tensor& a, const Tensor& b) { return compare_raw(Compare::Eq, a, b, "eq"); }
Tensor ne(const Tensor& a, const Tensor& b) { return compare_raw(Compare::Ne, a, b, "ne"); }
Tensor lt(const Tensor& a, const Tensor& b) { return compare_raw(Compare::Lt, a, b, "lt"); }
Tensor le(const Tensor& a, const Tensor& b) { return compare_raw(Compare::Le, a, b, "le"); }
Tensor gt(const Tensor& a, const Tensor& b) { return compare_raw(Compare::Gt, a, b, "gt"); }
Tensor ge(const Tensor& a, const Tensor& b) { return compare_raw(Compare::Ge, a, b, "ge"); }
Tensor gt(const Tensor& a, double b) { return gt(a, scalar_like(b, a)); }
Tensor lt(const Tensor& a, double b) { return lt(a, scalar_like(b, a)); }

}  // namespace he
