#include "kernels/index.h"

#include <algorithm>

#include "kernels/cpu/strided_loop.h"

namespace he::kernels::cpu {

template <class T>
void index_select(const T* x, const int64_t* idx, T* out, int64_t outer, int64_t d, int64_t n,
                  int64_t inner) {
#pragma omp parallel for collapse(2) schedule(static) if (outer * n * inner >= kParallelGrain)
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < n; ++j) {
      const T* src = x + (o * d + idx[j]) * inner;
      std::copy(src, src + inner, out + (o * n + j) * inner);
    }
}

template <class T>
void index_add(const T* src, const int64_t* idx, T* out, int64_t outer, int64_t d, int64_t n,
               int64_t inner) {
  // Repeated indices collide, so threads split the outer axis only.
#pragma omp parallel for schedule(static) if (outer > 1 && outer * n * inner >= kParallelGrain)
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < n; ++j) {
      const T* s = src + (o * n + j) * inner;
      T* dst = out + (o * d + idx[j]) * inner;
      for (int64_t i = 0; i < inner; ++i) dst[i] += s[i];
    }
}

template <class T>
void gather(const T* x, const int64_t* idx, T* out, int64_t outer, int64_t d, int64_t n,
            int64_t inner) {
#pragma omp parallel for schedule(static) if (outer * n * inner >= kParallelGrain)
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t i = 0; i < inner; ++i) {
        int64_t p = (o * n + j) * inner + i;
        out[p] = x[(o * d + idx[p]) * inner + i];
      }
}

template <class T>
void scatter_add(const T* src, const int64_t* idx, T* out, int64_t outer, int64_t d, int64_t n,
                 int64_t inner) {
#pragma omp parallel for schedule(static) if (outer > 1 && outer * n * inner >= kParallelGrain)
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t i = 0; i < inner; ++i) {
        int64_t p = (o * n + j) * inner + i;
        out[(o * d + idx[p]) * inner + i] += src[p];
      }
}

template <class T>
void one_hot(const int64_t* labels, T* out, int64_t n, int64_t classes) {
#pragma omp parallel for schedule(static) if (n > 1 && n * classes >= kParallelGrain)
  for (int64_t i = 0; i < n; ++i) {
    T* row = out + i * classes;
    std::fill(row, row + classes, T(0));
    row[labels[i]] = T(1);
  }
}

#define HE_INSTANTIATE(T)                                                                          \
  template void index_select<T>(const T*, const int64_t*, T*, int64_t, int64_t, int64_t, int64_t); \
  template void index_add<T>(const T*, const int64_t*, T*, int64_t, int64_t, int64_t, int64_t);    \
  template void gather<T>(const T*, const int64_t*, T*, int64_t, int64_t, int64_t, int64_t);       \
  template void scatter_add<T>(const T*, const int64_t*, T*, int64_t, int64_t, int64_t, int64_t);  \
  template void one_hot<T>(const int64_t*, T*, int64_t, int64_t);
HE_INSTANTIATE(float)
HE_INSTANTIATE(double)
HE_INSTANTIATE(int32_t)
HE_INSTANTIATE(int64_t)
HE_INSTANTIATE(uint8_t)
HE_INSTANTIATE(uint64_t)

}  // namespace he::kernels::cpu
