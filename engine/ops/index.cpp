// Index ops: index_select, gather, scatter_add, masked_fill, one_hot.
#include <fmt/format.h>

#include <stdexcept>

#include "engine/ops.h"
#include "engine/ops/args.h"
#include "kernels/index.h"

namespace he {

namespace {
using V = std::vector<Tensor>;

void check_index(const Tensor& idx, int64_t limit, const char* op, const Tensor& x) {
  if (idx.dtype() != DType::i64)
    throw std::invalid_argument(std::string(op) + ": index must be i64, got " +
                                dtype_name(idx.dtype()));
  const int64_t* p = idx.data<int64_t>();
  for (int64_t i = 0; i < idx.numel(); ++i)
    if (p[i] < 0 || p[i] >= limit)
      throw std::out_of_range(fmt::format("{}: index {} out of range [0, {}) for tensor {}", op,
                                          p[i], limit, x.shape_str()));
}

// (outer, D, inner) sizes around `dim`.
void split_dims(const Shape& s, int64_t dim, int64_t& outer, int64_t& inner) {
  outer = inner = 1;
  for (int64_t d = 0; d < dim; ++d) outer *= s[d];
  for (size_t d = dim + 1; d < s.size(); ++d) inner *= s[d];
}

Tensor index_add_raw(const Tensor& base, int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor out = base.detach().clone();
  Tensor s = src.contiguous();
  int64_t outer, inner;
  split_dims(out.shape(), dim, outer, inner);
  dispatch_all(out.dtype(), [&]<class T>() {
    kernels::cpu::index_add(s.data<T>(), index.data<int64_t>(), out.data<T>(), outer,
                            out.shape()[dim], index.numel(), inner);
  });
  return out;
}

Tensor scatter_add_raw(const Tensor& base, int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor out = base.detach().clone();
  Tensor s = src.contiguous(), idx = index.contiguous();
  int64_t outer, inner;
  split_dims(out.shape(), dim, outer, inner);
  dispatch_all(out.dtype(), [&]<class T>() {
    kernels::cpu::scatter_add(s.data<T>(), idx.data<int64_t>(), out.data<T>(), outer,
                              out.shape()[dim], idx.shape()[dim], inner);
  });
  return out;
}

// index has x's shape except on dim.
void check_gather_shapes(const Tensor& x, int64_t dim, const Tensor& index, const char* op) {
  bool ok = index.dim() == x.dim();
  for (int64_t d = 0; ok && d < x.dim(); ++d) ok = d == dim || index.shape()[d] == x.shape()[d];
  if (!ok)
    throw std::invalid_argument(fmt::format("{}: index {} must match {} on every dim but {}", op,
                                            index.shape_str(), x.shape_str(), dim));
}
}  // namespace

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  detail::check_cpu(x, "index_select");
  dim = wrap_dim(dim, x.dim(), "index_select");
  if (index.dim() != 1)
    throw std::invalid_argument("index_select: index must be 1-D, got " + index.shape_str());
  Tensor idx = index.contiguous();
  check_index(idx, x.shape()[dim], "index_select", x);
  Tensor src = x.contiguous();
  Shape shape = x.shape();
  shape[dim] = idx.numel();
  Tensor out = Tensor::empty(shape, x.dtype());
  int64_t outer, inner;
  split_dims(x.shape(), dim, outer, inner);
  dispatch_all(x.dtype(), [&]<class T>() {
    kernels::cpu::index_select(src.data<T>(), idx.data<int64_t>(), out.data<T>(), outer,
                               x.shape()[dim], idx.numel(), inner);
  });
  return attach_grad_fn(out, {x}, "index_select", [x, dim, idx](const Tensor& g) {
    return V{index_add_raw(Tensor::zeros(x.shape(), g.dtype()), dim, idx, g)};
  });
}

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  detail::check_cpu(x, "gather");
  dim = wrap_dim(dim, x.dim(), "gather");
  check_gather_shapes(x, dim, index, "gather");
  Tensor idx = index.contiguous();
  check_index(idx, x.shape()[dim], "gather", x);
  Tensor src = x.contiguous();
  Tensor out = Tensor::empty(idx.shape(), x.dtype());
  int64_t outer, inner;
  split_dims(x.shape(), dim, outer, inner);
  dispatch_all(x.dtype(), [&]<class T>() {
    kernels::cpu::gather(src.data<T>(), idx.data<int64_t>(), out.data<T>(), outer, x.shape()[dim],
                         idx.shape()[dim], inner);
  });
  return attach_grad_fn(out, {x}, "gather", [x, dim, idx](const Tensor& g) {
    return V{scatter_add_raw(Tensor::zeros(x.shape(), g.dtype()), dim, idx, g)};
  });
}

Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  detail::check_same({x, src}, "scatter_add");
  detail::check_cpu(x, "scatter_add");
  dim = wrap_dim(dim, x.dim(), "scatter_add");
  check_gather_shapes(x, dim, index, "scatter_add");
  if (index.shape() != src.shape())
    throw std::invalid_argument("scatter_add: index " + index.shape_str() + " and src " +
                                src.shape_str() + " differ");
  Tensor idx = index.contiguous();
  check_index(idx, x.shape()[dim], "scatter_add", x);
  Tensor out = scatter_add_raw(x, dim, idx, src);
  return attach_grad_fn(out, {x, src}, "scatter_add", [dim, idx](const Tensor& g) {
    return V{g, gather(g, dim, idx)};
  });
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  return where(mask, Tensor::scalar(value, x.dtype()), x);
}

Tensor one_hot(const Tensor& labels, int64_t num_classes, DType dt) {
  if (labels.dtype() != DType::i64) throw std::invalid_argument("one_hot: labels must be i64");
  Tensor l = labels.contiguous();
  check_index(l, num_classes, "one_hot", labels);
  Shape shape = labels.shape();
  shape.push_back(num_classes);
  Tensor out = Tensor::zeros(shape, dt);
  const int64_t* p = l.data<int64_t>();
  dispatch_all(dt, [&]<class T>() {
    T* o = out.data<T>();
    for (int64_t i = 0; i < l.numel(); ++i) o[i * num_classes + p[i]] = T(1);
  });
  return out;
}

}  // namespace he
