#include "kernels/random.h"

#include "kernels/philox.h"
#include "kernels/cpu/strided_loop.h"

namespace he::kernels::cpu {

template <class T>
void uniform(T* y, int64_t n, uint64_t key, uint64_t first, double lo, double hi) {
#pragma omp parallel for schedule(static) if (n >= kParallelGrain / 8)
  for (int64_t i = 0; i < n; ++i)
    y[i] = static_cast<T>(lo + (hi - lo) * philox::uniform_at(key, first + i));
}

template <class T>
void normal(T* y, int64_t n, uint64_t key, uint64_t first, double mean, double std) {
#pragma omp parallel for schedule(static) if (n >= kParallelGrain / 8)
  for (int64_t i = 0; i < n; ++i)
    y[i] = static_cast<T>(mean + std * philox::normal_at(key, first + i));
}

template <class T>
void bernoulli(T* y, int64_t n, uint64_t key, uint64_t first, double p) {
#pragma omp parallel for schedule(static) if (n >= kParallelGrain / 8)
  for (int64_t i = 0; i < n; ++i) y[i] = philox::uniform_at(key, first + i) < p ? T(1) : T(0);
}

template void uniform<float>(float*, int64_t, uint64_t, uint64_t, double, double);
template void uniform<double>(double*, int64_t, uint64_t, uint64_t, double, double);
template void normal<float>(float*, int64_t, uint64_t, uint64_t, double, double);
template void normal<double>(double*, int64_t, uint64_t, uint64_t, double, double);
template void bernoulli<float>(float*, int64_t, uint64_t, uint64_t, double);
template void bernoulli<double>(double*, int64_t, uint64_t, uint64_t, double);

}  // namespace he::kernels::cpu
