// View ops: new shape/strides/offset over the same storage, each with its gradient rule.
#include <fmt/format.h>

#include <numeric>
#include <stdexcept>

#include "engine/ops.h"

namespace he {

namespace {
Shape infer_shape(Shape shape, int64_t numel, const char* op) {
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (infer >= 0) throw std::invalid_argument(std::string(op) + ": only one dim may be -1");
      infer = static_cast<int64_t>(i);
    } else {
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || numel % known != 0)
      throw std::invalid_argument(fmt::format("{}: cannot infer -1 in {} for {} elements", op,
                                              shape_to_string(shape), numel));
    shape[infer] = numel / known;
  }
  if (shape_numel(shape) != numel)
    throw std::invalid_argument(
        fmt::format("{}: shape {} does not hold {} elements", op, shape_to_string(shape), numel));
  return shape;
}

// Strides for viewing `t` as `shape` without a copy, if possible (NumPy's rule: each run of
// merged old dims must be contiguous with itself).
bool view_strides(const Tensor& t, const Shape& shape, Shape& out) {
  if (t.is_contiguous()) {
    out = contiguous_strides(shape);
    return true;
  }
  // Group old dims (ignoring size 1) into contiguous chunks and map new dims onto them.
  Shape od, os;
  for (int64_t i = 0; i < t.dim(); ++i)
    if (t.shape()[i] != 1) od.push_back(t.shape()[i]), os.push_back(t.strides()[i]);
  out.assign(shape.size(), 0);
  size_t oi = 0;
  int64_t ni = 0;
  const int64_t nn = static_cast<int64_t>(shape.size());
  while (ni < nn) {
    if (shape[ni] == 1) {
      out[ni] = 1;
      ++ni;
      continue;
    }
    if (oi >= od.size()) return false;
    // chunk of old dims [oi, oj) that are mutually contiguous
    size_t oj = oi + 1;
    int64_t chunk = od[oi];
    while (oj < od.size() && os[oj - 1] == os[oj] * od[oj]) chunk *= od[oj], ++oj;
    // consume new dims whose product equals chunk
    int64_t prod = 1;
    int64_t start = ni;
    while (ni < nn && prod < chunk) prod *= shape[ni], ++ni;
    while (ni < nn && shape[ni] == 1 && prod == chunk) ++ni;
    if (prod != chunk) return false;
    int64_t stride = os[oj - 1];
    for (int64_t k = ni - 1; k >= start; --k) {
      out[k] = stride;
      stride *= shape[k];
    }
    oi = oj;
  }
  return oi == od.size();
}

Tensor reshape_grad(const Tensor& out, const Tensor& in) {
  Shape in_shape = in.shape();
  return attach_grad_fn(out, {in}, "reshape", [in_shape](const Tensor& g) {
    return std::vector<Tensor>{g.reshape(in_shape)};
  });
}
}  // namespace

Tensor Tensor::view(const Shape& shape_in) const {
  Shape shape = infer_shape(shape_in, numel(), "view");
  Shape st;
  if (!view_strides(*this, shape, st))
    throw std::invalid_argument("view: tensor " + shape_str() + " with strides " +
                                shape_to_string(strides()) + " cannot be viewed as " +
                                shape_to_string(shape) + "; use reshape (copies)");
  return reshape_grad(make_view(*this, shape, st, offset()), *this);
}

Tensor Tensor::reshape(const Shape& shape_in) const {
  Shape shape = infer_shape(shape_in, numel(), "reshape");
  Shape st;
  if (view_strides(*this, shape, st))
    return reshape_grad(make_view(*this, shape, st, offset()), *this);
  return contiguous().view(shape);
}

Tensor Tensor::flatten(int64_t start, int64_t end) const {
  if (dim() == 0) return reshape({1});
  start = wrap_dim(start, dim(), "flatten");
  end = wrap_dim(end, dim(), "flatten");
  Shape s(shape().begin(), shape().begin() + start);
  int64_t m = 1;
  for (int64_t i = start; i <= end; ++i) m *= shape()[i];
  s.push_back(m);
  s.insert(s.end(), shape().begin() + end + 1, shape().end());
  return reshape(s);
}

Tensor Tensor::permute(const Shape& order) const {
  if (static_cast<int64_t>(order.size()) != dim())
    throw std::invalid_argument(
        fmt::format("permute: order of {} dims for tensor {}", order.size(), shape_str()));
  Shape s(dim()), st(dim()), inverse(dim(), -1);
  for (int64_t i = 0; i < dim(); ++i) {
    int64_t d = wrap_dim(order[i], dim(), "permute");
    if (inverse[d] >= 0)
      throw std::invalid_argument("permute: dim repeated in order " + shape_to_string(order));
    inverse[d] = i;
    s[i] = shape()[d];
    st[i] = strides()[d];
  }
  return attach_grad_fn(
      make_view(*this, s, st, offset()), {*this}, "permute",
      [inverse](const Tensor& g) { return std::vector<Tensor>{g.permute(inverse)}; });
}

Tensor Tensor::transpose(int64_t a, int64_t b) const {
  Shape order(dim());
  std::iota(order.begin(), order.end(), 0);
  std::swap(order[wrap_dim(a, dim(), "transpose")], order[wrap_dim(b, dim(), "transpose")]);
  return permute(order);
}

Tensor Tensor::slice(int64_t d, int64_t start, int64_t end, int64_t step) const {
  d = wrap_dim(d, dim(), "slice");
  const int64_t n = shape()[d];
  if (step <= 0) throw std::invalid_argument("slice: step must be positive");
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<int64_t>(start, 0, n);
  end = std::clamp<int64_t>(end, start, n);
  Shape s = shape(), st = strides();
  s[d] = (end - start + step - 1) / step;
  st[d] *= step;
  Shape in_shape = shape();
  DType dt = dtype();
  return attach_grad_fn(make_view(*this, s, st, offset() + start * strides()[d]), {*this}, "slice",
                        [in_shape, dt, d, start, end, step](const Tensor& g) {
                          Tensor full = Tensor::zeros(in_shape, dt, g.device());
                          full.slice(d, start, end, step).copy_(g);
                          return std::vector<Tensor>{full};
                        });
}

Tensor Tensor::narrow(int64_t d, int64_t start, int64_t length) const {
  d = wrap_dim(d, dim(), "narrow");
  if (start < 0 || length < 0 || start + length > shape()[d])
    throw std::invalid_argument(fmt::format("narrow: [{}, {}) out of range for dim {} of {}", start,
                                            start + length, d, shape_str()));
  return slice(d, start, start + length);
}

Tensor Tensor::select(int64_t d, int64_t index) const {
  d = wrap_dim(d, dim(), "select");
  if (index < 0) index += shape()[d];
  if (index < 0 || index >= shape()[d])
    throw std::invalid_argument(
        fmt::format("select: index {} out of range for dim {} of {}", index, d, shape_str()));
  return narrow(d, index, 1).squeeze(d);
}

Tensor Tensor::expand(const Shape& target) const {
  const int64_t lead = static_cast<int64_t>(target.size()) - dim();
  if (lead < 0)
    throw std::invalid_argument("expand: cannot expand " + shape_str() + " to " +
                                shape_to_string(target));
  Shape s(target.size()), st(target.size(), 0);
  for (int64_t i = 0; i < static_cast<int64_t>(target.size()); ++i) {
    int64_t want = target[i];
    if (i < lead) {
      if (want < 0) throw std::invalid_argument("expand: -1 not allowed for a new dim");
      s[i] = want;
      continue;
    }
    int64_t have = shape()[i - lead];
    if (want == -1 || want == have) {
      s[i] = have;
      st[i] = strides()[i - lead];
    } else if (have == 1) {
      s[i] = want;
    } else {
      throw std::invalid_argument("expand: cannot expand " + shape_str() + " to " +
                                  shape_to_string(target));
    }
  }
  // The gradient of a broadcast is reduced back by sum_to in the autograd engine.
  return attach_grad_fn(make_view(*this, s, st, offset()), {*this}, "expand",
                        [](const Tensor& g) { return std::vector<Tensor>{g}; });
}

Tensor Tensor::squeeze(int64_t d) const {
  d = wrap_dim(d, dim(), "squeeze");
  if (shape()[d] != 1) return *this;
  Shape s = shape();
  s.erase(s.begin() + d);
  return reshape(s);
}

Tensor Tensor::squeeze() const {
  Shape s;
  for (int64_t v : shape())
    if (v != 1) s.push_back(v);
  return reshape(s);
}

Tensor Tensor::unsqueeze(int64_t d) const {
  d = wrap_dim(d, dim() + 1, "unsqueeze");
  Shape s = shape();
  s.insert(s.begin() + d, 1);
  return reshape(s);
}

}  // namespace he
