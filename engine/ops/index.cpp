// Index ops: index_select, gather, scatter_add, masked_fill, one_hot, on the inputs' device.
#include <fmt/format.h>

#include <stdexcept>

#include "engine/ops.h"
#include "engine/ops/args.h"
#include "engine/ops/dispatch.h"
#include "kernels/index.h"

namespace he {

namespace {
using V = std::vector<Tensor>;

// Every index in [0, limit). Device indices are read on the host (one copy and a wait): a
// bad index is a user error that must throw, and a kernel cannot throw.
void check_index(const Tensor& idx, int64_t limit, const char* op, const Tensor& x) {
  if (idx.dtype() != DType::i64)
    throw std::invalid_argument(std::string(op) + ": index must be i64, got " +
                                dtype_name(idx.dtype()));
  const Tensor host = idx.device().is_cpu() ? idx : idx.to(Device::cpu());
  const int64_t* p = host.data<int64_t>();
  for (int64_t i = 0; i < host.numel(); ++i)
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

// The kernels of kernels/index.h share one signature: (in, idx, out, outer, D, n, inner).
enum class IndexKernel { Select, Add, Gather, ScatterAdd };

void run_index_kernel(IndexKernel k, const Tensor& in, const Tensor& idx, const Tensor& out,
                      int64_t outer, int64_t d, int64_t n, int64_t inner) {
  dispatch_all(out.dtype(), [&]<class T>() {
    const T* pin = in.data_ptr<T>();
    const int64_t* pidx = idx.data_ptr<int64_t>();
    T* pout = out.data_ptr<T>();
    detail::on_device(out.device(), [&](auto backend) {
      using namespace kernels;
      if constexpr (backend.cuda) {
        switch (k) {
          case IndexKernel::Select:
            return cuda::index_select(pin, pidx, pout, outer, d, n, inner);
          case IndexKernel::Add:
            return cuda::index_add(pin, pidx, pout, outer, d, n, inner);
          case IndexKernel::Gather:
            return cuda::gather(pin, pidx, pout, outer, d, n, inner);
          case IndexKernel::ScatterAdd:
            return cuda::scatter_add(pin, pidx, pout, outer, d, n, inner);
        }
      } else {
        switch (k) {
          case IndexKernel::Select:
            return cpu::index_select(pin, pidx, pout, outer, d, n, inner);
          case IndexKernel::Add:
            return cpu::index_add(pin, pidx, pout, outer, d, n, inner);
          case IndexKernel::Gather:
            return cpu::gather(pin, pidx, pout, outer, d, n, inner);
          case IndexKernel::ScatterAdd:
            return cpu::scatter_add(pin, pidx, pout, outer, d, n, inner);
        }
      }
    });
  });
}

Tensor index_add_raw(const Tensor& base, int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor out = base.detach().clone();
  Tensor s = src.contiguous();
  int64_t outer, inner;
  split_dims(out.shape(), dim, outer, inner);
  run_index_kernel(IndexKernel::Add, s, index, out, outer, out.shape()[dim], index.numel(), inner);
  return out;
}

Tensor scatter_add_raw(const Tensor& base, int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor out = base.detach().clone();
  Tensor s = src.contiguous(), idx = index.contiguous();
  int64_t outer, inner;
  split_dims(out.shape(), dim, outer, inner);
  run_index_kernel(IndexKernel::ScatterAdd, s, idx, out, outer, out.shape()[dim], idx.shape()[dim],
                   inner);
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
  detail::common_device({x, index}, "index_select");
  dim = wrap_dim(dim, x.dim(), "index_select");
  if (index.dim() != 1)
    throw std::invalid_argument("index_select: index must be 1-D, got " + index.shape_str());
  Tensor idx = index.contiguous();
  check_index(idx, x.shape()[dim], "index_select", x);
  Tensor src = x.contiguous();
  Shape shape = x.shape();
  shape[dim] = idx.numel();
  Tensor out = Tensor::empty(shape, x.dtype(), x.device());
  int64_t outer, inner;
  split_dims(x.shape(), dim, outer, inner);
  run_index_kernel(IndexKernel::Select, src, idx, out, outer, x.shape()[dim], idx.numel(), inner);
  return attach_grad_fn(out, {x}, "index_select", [x, dim, idx](const Tensor& g) {
    return V{index_add_raw(Tensor::zeros(x.shape(), g.dtype(), g.device()), dim, idx, g)};
  });
}

Tensor gather(const Tensor& x, int64_t dim, const Tensor& index) {
  detail::common_device({x, index}, "gather");
  dim = wrap_dim(dim, x.dim(), "gather");
  check_gather_shapes(x, dim, index, "gather");
  Tensor idx = index.contiguous();
  check_index(idx, x.shape()[dim], "gather", x);
  Tensor src = x.contiguous();
  Tensor out = Tensor::empty(idx.shape(), x.dtype(), x.device());
  int64_t outer, inner;
  split_dims(x.shape(), dim, outer, inner);
  run_index_kernel(IndexKernel::Gather, src, idx, out, outer, x.shape()[dim], idx.shape()[dim],
                   inner);
  return attach_grad_fn(out, {x}, "gather", [x, dim, idx](const Tensor& g) {
    return V{scatter_add_raw(Tensor::zeros(x.shape(), g.dtype(), g.device()), dim, idx, g)};
  });
}

Tensor scatter_add(const Tensor& x, int64_t dim, const Tensor& index, const Tensor& src) {
  detail::check_same({x, src}, "scatter_add");
  detail::common_device({x, index}, "scatter_add");
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
  return where(mask, Tensor::full({}, value, x.dtype(), x.device()), x);
}

Tensor one_hot(const Tensor& labels, int64_t num_classes, DType dt) {
  if (labels.dtype() != DType::i64) throw std::invalid_argument("one_hot: labels must be i64");
  Tensor l = labels.contiguous();
  check_index(l, num_classes, "one_hot", labels);
  Shape shape = labels.shape();
  shape.push_back(num_classes);
  Tensor out = Tensor::empty(shape, dt, labels.device());
  dispatch_all(dt, [&]<class T>() {
    const int64_t* pl = l.data_ptr<int64_t>();
    T* po = out.data_ptr<T>();
    detail::on_device(out.device(), [&](auto backend) {
      if constexpr (backend.cuda)
        kernels::cuda::one_hot(pl, po, l.numel(), num_classes);
      else
        kernels::cpu::one_hot(pl, po, l.numel(), num_classes);
    });
  });
  return out;
}

}  // namespace he
