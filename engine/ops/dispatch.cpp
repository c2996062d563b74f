#include "engine/ops/dispatch.h"

#include <fmt/format.h>

#include <stdexcept>

namespace he::detail {

namespace {
template <class Range>
Device common_device_of(const Range& ts, const char* op) {
  const Tensor* first = nullptr;
  for (const Tensor& t : ts) {
    if (!t.defined()) continue;
    if (!first) {
      first = &t;
      continue;
    }
    if (!(t.device() == first->device()))
      throw std::invalid_argument(fmt::format(
          "{}: tensors on different devices, {} on {} and {} on {} (move one with .to(device))", op,
          first->shape_str(), first->device().str(), t.shape_str(), t.device().str()));
  }
  return first ? first->device() : Device::cpu();
}
}  // namespace

Device common_device(std::initializer_list<Tensor> ts, const char* op) {
  return common_device_of(ts, op);
}
Device common_device(const std::vector<Tensor>& ts, const char* op) {
  return common_device_of(ts, op);
}

void no_cuda_backend(Device dev) {
  kernels::cuda::require_device(dev.index);  // throws: this build has no CUDA backend
  throw std::logic_error("no_cuda_backend: " + dev.str() + " reached a build without CUDA");
}

}  // namespace he::detail
