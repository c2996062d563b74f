#include "engine/ops/args.h"

#include "engine/ops/dispatch.h"

#include <fmt/format.h>

#include <stdexcept>

namespace he::detail {

namespace {
std::string shapes_of(const std::vector<Tensor>& ts) {
  std::string s;
  for (const Tensor& t : ts) s += (s.empty() ? "" : " and ") + t.shape_str();
  return s;
}
}  // namespace

Shape broadcast_shapes(const std::vector<Tensor>& ts, const char* op) {
  size_t nd = 0;
  for (const Tensor& t : ts) nd = std::max(nd, t.shape().size());
  Shape out(nd, 1);
  for (const Tensor& t : ts) {
    size_t lead = nd - t.shape().size();
    for (size_t i = 0; i < t.shape().size(); ++i) {
      int64_t s = t.shape()[i];
      int64_t& o = out[lead + i];
      if (s == o || s == 1) continue;
      if (o == 1) {
        o = s;
        continue;
      }
      throw std::invalid_argument(
          fmt::format("{}: shapes {} cannot be broadcast together", op, shapes_of(ts)));
    }
  }
  return out;
}

kernels::Strided broadcast_layout(const Tensor& out, const std::vector<Tensor>& ins,
                                  const char* op) {
  if (out.dim() > kernels::kMaxDims)
    throw std::invalid_argument(
        fmt::format("{}: {} dims exceed the supported {}", op, out.dim(), kernels::kMaxDims));
  kernels::Strided l;
  l.ndim = static_cast<int>(out.dim());
  for (int d = 0; d < l.ndim; ++d) {
    l.shape[d] = out.shape()[d];
    l.stride[0][d] = out.strides()[d];
  }
  for (size_t k = 0; k < ins.size(); ++k) {
    const Tensor& t = ins[k];
    int64_t lead = out.dim() - t.dim();
    for (int64_t i = 0; i < t.dim(); ++i)
      l.stride[k + 1][lead + i] = t.shape()[i] == 1 ? 0 : t.strides()[i];
  }
  kernels::coalesce(l, static_cast<int>(ins.size()) + 1);
  return l;
}

void check_same(const std::vector<Tensor>& ts, const char* op) {
  for (const Tensor& t : ts)
    if (!t.defined()) throw std::invalid_argument(std::string(op) + ": undefined tensor argument");
  for (size_t i = 1; i < ts.size(); ++i) {
    if (ts[i].dtype() != ts[0].dtype())
      throw std::invalid_argument(fmt::format("{}: dtype mismatch, {} {} vs {} {}", op,
                                              dtype_name(ts[0].dtype()), ts[0].shape_str(),
                                              dtype_name(ts[i].dtype()), ts[i].shape_str()));
  }
  common_device(ts, op);
}

}  // namespace he::detail
