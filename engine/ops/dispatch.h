#pragma once
// How an op reaches its kernel: the one place above kernels/ that knows whether the CUDA
// backend was built. An op checks its arguments, allocates its output on the inputs' device,
// then calls
//
//   detail::on_device(x.device(), [&](auto backend) {
//     if constexpr (backend.cuda) kernels::cuda::f(args...);
//     else kernels::cpu::f(args...);
//   });
//
// kernels::cpu::f and kernels::cuda::f have the same signature (raw pointers and sizes). The
// CUDA branch of the lambda is instantiated only in CUDA builds, so a CPU-only build never
// references a CUDA symbol; a CUDA tensor reaching such a build throws here.
#include <initializer_list>
#include <string>

#include "engine/tensor.h"
#include "kernels/dtype.h"
#include "kernels/runtime.h"

namespace he::detail {

struct OnCpu {
  static constexpr bool cuda = false;
};
struct OnCuda {
  static constexpr bool cuda = true;
};

// The device every defined tensor of an op lives on. Throws naming the op, both devices and
// both shapes when two differ (an op never moves data between devices behind the caller's back).
Device common_device(std::initializer_list<Tensor> ts, const char* op);
Device common_device(const std::vector<Tensor>& ts, const char* op);

// Throws the error of a build without the CUDA backend, naming the device.
[[noreturn]] void no_cuda_backend(Device dev);

// Runs kernel(OnCpu{}) or kernel(OnCuda{}) for `dev`; on CUDA the device is made current first.
template <class F>
decltype(auto) on_device(Device dev, F&& kernel) {
  if (dev.is_cpu()) return kernel(OnCpu{});
#ifdef ENGINE_HAVE_CUDA
  kernels::cuda::set_device(dev.index);
  return kernel(OnCuda{});
#else
  no_cuda_backend(dev);
#endif
}

// Runs kernel.template operator()<T>(backend) for the floating dtype T of `dt` on `dev`: the
// way of the ops whose kernels are templates over float and double (pooling, batch norm).
template <class F>
void on_device_floating(Device dev, DType dt, const char* op, F&& kernel) {
  dispatch_floating(dt, op, [&]<class T>() {
    on_device(dev, [&](auto backend) { kernel.template operator()<T>(backend); });
  });
}

}  // namespace he::detail
