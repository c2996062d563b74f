#include "kernels/dropout.h"

#include "kernels/cpu/strided_loop.h"
#include "kernels/philox.h"

namespace he::kernels::cpu {

template <class T>
void dropout(const T* x, T* y, T* mask, int64_t n, uint64_t key, uint64_t first, double keep,
             T scale) {
#pragma omp parallel for schedule(static) if (n >= kParallelGrain / 8)
  for (int64_t i = 0; i < n; ++i) {
    const T m = philox::uniform_at(key, first + i) < keep ? scale : T(0);
    mask[i] = m;
    y[i] = x[i] * m;
  }
}

template void dropout<float>(const float*, float*, float*, int64_t, uint64_t, uint64_t, double,
                             float);
template void dropout<double>(const double*, double*, double*, int64_t, uint64_t, uint64_t, double,
                              double);

}  // namespace he::kernels::cpu
