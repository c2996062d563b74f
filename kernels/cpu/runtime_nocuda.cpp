// Stand-ins for kernels/runtime.h when the CUDA backend is not compiled in: every call that
// would need a device throws a clear error instead of failing to link.
#ifndef ENGINE_HAVE_CUDA
#include <stdexcept>
#include <string>

#include "kernels/runtime.h"

namespace he::kernels::cuda {
namespace {
[[noreturn]] void no_cuda(const std::string& what) {
  throw std::runtime_error(what +
                           ": hashengine was built without the CUDA backend "
                           "(configure with -DENGINE_CUDA=ON on a machine with nvcc)");
}
// Every message names the device (cuda:N), like the CUDA build's errors do.
std::string dev(int d) { return "cuda:" + std::to_string(d); }
}  // namespace
bool built() { return false; }
int device_count() { return 0; }
std::string device_name(int d) { no_cuda("device_name of " + dev(d)); }
void require_device(int d) { no_cuda(dev(d) + " requested"); }
void set_device(int d) { no_cuda(dev(d) + " requested"); }
void* raw_malloc(size_t, int d) { no_cuda("malloc on " + dev(d)); }
void raw_free(void*, int d) { no_cuda("free on " + dev(d)); }
void copy_h2d(void*, const void*, size_t, int d) { no_cuda("copy to " + dev(d)); }
void copy_d2h(void*, const void*, size_t, int d) { no_cuda("copy from " + dev(d)); }
void copy_d2d(void*, const void*, size_t, int d) { no_cuda("copy on " + dev(d)); }
void synchronize(int d) { no_cuda("synchronize " + dev(d)); }
}  // namespace he::kernels::cuda
#endif
