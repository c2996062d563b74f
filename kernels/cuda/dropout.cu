// Dropout on CUDA (kernels/dropout.h): thread i draws Philox counter first + i, the draw the
// CPU makes for element i, so one (key, first) gives the same mask on both devices.
#include <cstdint>

#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"
#include "kernels/dropout.h"
#include "kernels/philox.h"

namespace he::kernels::cuda {
namespace {

template <class T>
__global__ void dropout_kernel(const T* __restrict__ x, T* __restrict__ y, T* __restrict__ mask,
                               int64_t n, uint64_t key, uint64_t first, double keep, T scale) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x) {
    const T m = philox::uniform_at(key, first + i) < keep ? scale : T(0);
    mask[i] = m;
    y[i] = x[i] * m;
  }
}

}  // namespace

template <class T>
void dropout(const T* x, T* y, T* mask, int64_t n, uint64_t key, uint64_t first, double keep,
             T scale) {
  dropout_kernel<T><<<detail::grid_for(n), 256, 0, current_context().stream>>>(x, y, mask, n, key,
                                                                               first, keep, scale);
  HE_CUDA_CHECK_LAUNCH("dropout_kernel");
}

template void dropout<float>(const float*, float*, float*, int64_t, uint64_t, uint64_t, double,
                             float);
template void dropout<double>(const double*, double*, double*, int64_t, uint64_t, uint64_t, double,
                              double);

}  // namespace he::kernels::cuda
