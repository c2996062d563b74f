// Stand-ins for kernels/runtime.h when the CUDA backend is not compiled in: every call that
// would need a device throws a clear error instead of failing to link.
#ifndef ENGINE_HAVE_CUDA
#include <stdexcept>
#include <string>

#include "kernels/runtime.h"

namespace he::kernels::cuda {
namespace {
[[noreturn]] void no_cuda(const char* what) {
  throw std::runtime_error(std::string(what) +
                           ": hashengine was built without the CUDA backend "
                           "(configure with -DENGINE_CUDA=ON on a machine with nvcc)");
}
}  // namespace
bool built() { return false; }
int device_count() { return 0; }
std::string device_name(int) { no_cuda("device_name"); }
void require_device(int index) { no_cuda(("cuda:" + std::to_string(index)).c_str()); }
void* raw_malloc(size_t, int) { no_cuda("cuda malloc"); }
void raw_free(void*, int) { no_cuda("cuda free"); }
void copy_h2d(void*, const void*, size_t, int) { no_cuda("copy to cuda"); }
void copy_d2h(void*, const void*, size_t, int) { no_cuda("copy from cuda"); }
void copy_d2d(void*, const void*, size_t, int) { no_cuda("cuda copy"); }
void synchronize(int) { no_cuda("cuda synchronize"); }
}  // namespace he::kernels::cuda
#endif
