// Reductions over any set of dims. sum/amax/amin/arg* are kernels; mean, var, logsumexp
// and norm are compositions, so their gradients come from the ops they are built of.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "engine/ops.h"
#include "engine/ops/args.h"
#include "kernels/reduce.h"

namespace he {

namespace {
using V = std::vector<Tensor>;

std::vector<bool> reduced_mask(const Tensor& x, const std::vector<int64_t>& dims, const char* op) {
  std::vector<bool> m(x.dim(), dims.empty());
  for (int64_t d : dims) {
    int64_t w = wrap_dim(d, x.dim(), op);
    if (m[w]) throw std::invalid_argument(fmt::format("{}: dim {} listed twice", op, d));
    m[w] = true;
  }
  return m;
}

Shape reduced_shape(const Tensor& x, const std::vector<bool>& m, bool keepdim) {
  Shape s;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (!m[d])
      s.push_back(x.shape()[d]);
    else if (keepdim)
      s.push_back(1);
  return s;
}

// Runs `kernel(src, outer, r, inner)` on x arranged as contiguous (outer, r, inner) with the
// reduced dims in the middle: directly when they already form one block of a contiguous
// tensor, else after moving them last.
template <class F>
void as_outer_r_inner(const Tensor& x, const std::vector<bool>& m, F kernel) {
  int64_t first = -1, last = -1;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (m[d] && x.shape()[d] != 1) first = first < 0 ? d : first, last = d;
  bool block = x.is_contiguous();
  for (int64_t d = first; block && first >= 0 && d <= last; ++d) block = m[d] || x.shape()[d] == 1;
  if (block) {
    int64_t outer = 1, r = 1, inner = 1;
    for (int64_t d = 0; d < x.dim(); ++d) {
      if (first < 0 || d < first)
        outer *= x.shape()[d];
      else if (d <= last)
        r *= x.shape()[d];
      else
        inner *= x.shape()[d];
    }
    kernel(x, outer, r, inner);
    return;
  }
  Shape order;
  int64_t outer = 1, r = 1;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (!m[d]) order.push_back(d), outer *= x.shape()[d];
  for (int64_t d = 0; d < x.dim(); ++d)
    if (m[d]) order.push_back(d), r *= x.shape()[d];
  kernel(x.detach().permute(order).contiguous(), outer, r, int64_t{1});
}

Tensor reduce_raw(kernels::Reduce op, const Tensor& x, const std::vector<bool>& m, bool keepdim,
                  const char* name) {
  detail::check_cpu(x, name);
  if (x.numel() == 0 && op != kernels::Reduce::Sum)
    throw std::invalid_argument(std::string(name) + ": empty tensor " + x.shape_str());
  Tensor out = Tensor::empty(reduced_shape(x, m, keepdim), x.dtype());
  if (x.numel() == 0) {
    out.fill_(0);
    return out;
  }
  as_outer_r_inner(x, m, [&](const Tensor& src, int64_t outer, int64_t r, int64_t inner) {
    switch (x.dtype()) {
      case DType::f32:
        return kernels::cpu::reduce(op, src.data<float>(), out.data<float>(), outer, r, inner);
      case DType::f64:
        return kernels::cpu::reduce(op, src.data<double>(), out.data<double>(), outer, r, inner);
      case DType::i32:
        return kernels::cpu::reduce(op, src.data<int32_t>(), out.data<int32_t>(), outer, r, inner);
      case DType::i64:
        return kernels::cpu::reduce(op, src.data<int64_t>(), out.data<int64_t>(), outer, r, inner);
      default:
        throw std::invalid_argument(std::string(name) + ": unsupported dtype " +
                                    dtype_name(x.dtype()));
    }
  });
  return out;
}

// Gradient of a reduction, reshaped to keepdim form and broadcast back over x.
Tensor expand_back(const Tensor& g, const Tensor& x, const std::vector<bool>& m) {
  return g.reshape(reduced_shape(x, m, true)).expand(x.shape());
}

Tensor extreme(kernels::Reduce op, const Tensor& x, const std::vector<int64_t>& dims, bool keepdim,
               const char* name) {
  auto m = reduced_mask(x, dims, name);
  Tensor out = reduce_raw(op, x, m, keepdim, name);
  // Gradient shared evenly among the elements that attain the extreme.
  return attach_grad_fn(out, {x}, name, [x, m, y = out.detach()](const Tensor& g) {
    Tensor hit = eq(x, expand_back(y, x, m)).to(g.dtype());
    Tensor count = sum(
        hit,
        [&] {
          std::vector<int64_t> d;
          for (int64_t i = 0; i < x.dim(); ++i)
            if (m[i]) d.push_back(i);
          return d;
        }(),
        true);
    return V{mul(div(hit, count), expand_back(g, x, m))};
  });
}

Tensor arg_extreme(bool is_max, const Tensor& x, int64_t dim, bool keepdim, const char* name) {
  detail::check_cpu(x, name);
  dim = wrap_dim(dim, x.dim(), name);
  if (x.shape()[dim] == 0)
    throw std::invalid_argument(std::string(name) + ": empty dim in " + x.shape_str());
  std::vector<bool> m(x.dim(), false);
  m[dim] = true;
  Tensor out = Tensor::empty(reduced_shape(x, m, keepdim), DType::i64);
  Tensor src = x.contiguous();
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < dim; ++d) outer *= x.shape()[d];
  for (int64_t d = dim + 1; d < x.dim(); ++d) inner *= x.shape()[d];
  switch (x.dtype()) {
    case DType::f32:
      kernels::cpu::arg_reduce(is_max, src.data<float>(), out.data<int64_t>(), outer,
                               x.shape()[dim], inner);
      break;
    case DType::f64:
      kernels::cpu::arg_reduce(is_max, src.data<double>(), out.data<int64_t>(), outer,
                               x.shape()[dim], inner);
      break;
    case DType::i32:
      kernels::cpu::arg_reduce(is_max, src.data<int32_t>(), out.data<int64_t>(), outer,
                               x.shape()[dim], inner);
      break;
    case DType::i64:
      kernels::cpu::arg_reduce(is_max, src.data<int64_t>(), out.data<int64_t>(), outer,
                               x.shape()[dim], inner);
      break;
    case DType::u8:
      kernels::cpu::arg_reduce(is_max, src.data<uint8_t>(), out.data<int64_t>(), outer,
                               x.shape()[dim], inner);
      break;
    default:
      throw std::invalid_argument(std::string(name) + ": unsupported dtype " +
                                  dtype_name(x.dtype()));
  }
  return out;
}

int64_t count_reduced(const Tensor& x, const std::vector<bool>& m) {
  int64_t n = 1;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (m[d]) n *= x.shape()[d];
  return n;
}
}  // namespace

Tensor sum(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  auto m = reduced_mask(x, dims, "sum");
  Tensor out = reduce_raw(kernels::Reduce::Sum, x, m, keepdim, "sum");
  return attach_grad_fn(out, {x}, "sum",
                        [x, m](const Tensor& g) { return V{expand_back(g, x, m)}; });
}

Tensor mean(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  auto m = reduced_mask(x, dims, "mean");
  return div(sum(x, dims, keepdim), static_cast<double>(std::max<int64_t>(count_reduced(x, m), 1)));
}

Tensor amax(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  return extreme(kernels::Reduce::Max, x, dims, keepdim, "amax");
}
Tensor amin(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  return extreme(kernels::Reduce::Min, x, dims, keepdim, "amin");
}
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) {
  return arg_extreme(true, x, dim, keepdim, "argmax");
}
Tensor argmin(const Tensor& x, int64_t dim, bool keepdim) {
  return arg_extreme(false, x, dim, keepdim, "argmin");
}

Tensor var(const Tensor& x, const std::vector<int64_t>& dims, bool unbiased, bool keepdim) {
  auto m = reduced_mask(x, dims, "var");
  int64_t n = count_reduced(x, m);
  Tensor d = sub(x, mean(x, dims, true));
  return div(sum(mul(d, d), dims, keepdim),
             static_cast<double>(std::max<int64_t>(unbiased ? n - 1 : n, 1)));
}

Tensor logsumexp(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  Tensor m = amax(x, dims, true).detach();  // a constant shift: exact, and no overflow
  Tensor out = add(log(sum(exp(sub(x, m)), dims, true)), m);
  if (keepdim) return out;
  auto mask = reduced_mask(x, dims, "logsumexp");
  return out.reshape(reduced_shape(x, mask, false));
}

Tensor norm(const Tensor& x, double p, const std::vector<int64_t>& dims, bool keepdim) {
  if (p == 2) return sqrt(sum(mul(x, x), dims, keepdim));
  if (p == 1) return sum(abs(x), dims, keepdim);
  if (std::isinf(p)) return amax(abs(x), dims, keepdim);
  return pow(sum(pow(abs(x), p), dims, keepdim), 1.0 / p);
}

}  // namespace he
