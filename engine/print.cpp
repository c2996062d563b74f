// NumPy-like printing: nested brackets, at most 3 leading and 3 trailing entries per dim.
#include <fmt/format.h>

#include "engine/tensor.h"

namespace he {

namespace {
constexpr int64_t kEdge = 3;

void print_rec(std::string& s, const std::vector<double>& v, const Shape& shape, const Shape& st,
               int64_t dim, int64_t at, bool floating, int indent) {
  if (dim == static_cast<int64_t>(shape.size())) {
    s += floating ? fmt::format("{:.4g}", v[at]) : fmt::format("{}", static_cast<long long>(v[at]));
    return;
  }
  s += '[';
  const int64_t n = shape[dim];
  for (int64_t i = 0; i < n; ++i) {
    if (n > 2 * kEdge && i == kEdge) {
      s += dim + 1 == static_cast<int64_t>(shape.size()) ? "..., "
                                                         : "...,\n" + std::string(indent + 1, ' ');
      i = n - kEdge;
    }
    print_rec(s, v, shape, st, dim + 1, at + i * st[dim], floating, indent + 1);
    if (i + 1 < n)
      s += dim + 1 == static_cast<int64_t>(shape.size()) ? ", "
                                                         : ",\n" + std::string(indent + 1, ' ');
  }
  s += ']';
}
}  // namespace

std::string to_string(const Tensor& t) {
  if (!t.defined()) return "tensor(undefined)";
  std::vector<double> v = t.to_vector<double>();
  std::string s = "tensor(";
  print_rec(s, v, t.shape(), contiguous_strides(t.shape()), 0, 0, is_floating(t.dtype()), 7);
  s += fmt::format(", shape={}, dtype={}, device={}", t.shape_str(), dtype_name(t.dtype()),
                   t.device().str());
  if (t.requires_grad()) s += ", requires_grad";
  return s + ")";
}

}  // namespace he
