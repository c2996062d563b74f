#include "kernels/reduce.h"

#include <algorithm>
#include <vector>

#include "kernels/cpu/strided_loop.h"

namespace he::kernels::cpu {

template <class T>
void reduce(Reduce op, const T* x, T* out, int64_t outer, int64_t r, int64_t inner) {
  auto combine = [op](T a, T b) {
    return op == Reduce::Sum ? a + b : (op == Reduce::Max ? (b > a ? b : a) : (b < a ? b : a));
  };
  const bool big = outer * r * inner >= kParallelGrain;
  if (inner == 1) {
    // Row reductions: sums accumulate in double for f32 so long rows keep their precision.
#pragma omp parallel for schedule(static) if (big && outer > 1)
    for (int64_t o = 0; o < outer; ++o) {
      const T* row = x + o * r;
      if (op == Reduce::Sum) {
        using Acc = std::conditional_t<std::is_floating_point_v<T>, double, T>;
        Acc acc = 0;
        for (int64_t j = 0; j < r; ++j) acc += row[j];
        out[o] = static_cast<T>(acc);
      } else {
        T acc = row[0];
        for (int64_t j = 1; j < r; ++j) acc = combine(acc, row[j]);
        out[o] = acc;
      }
    }
    return;
  }
  // Column-style: for each outer block walk r rows of `inner` contiguous values.
#pragma omp parallel for schedule(static) if (big)
  for (int64_t o = 0; o < outer; ++o) {
    T* dst = out + o * inner;
    const T* src = x + o * r * inner;
    std::copy(src, src + inner, dst);
    for (int64_t j = 1; j < r; ++j) {
      const T* row = src + j * inner;
      for (int64_t i = 0; i < inner; ++i) dst[i] = combine(dst[i], row[i]);
    }
  }
}

template <class T>
void arg_reduce(bool is_max, const T* x, int64_t* out, int64_t outer, int64_t r, int64_t inner) {
#pragma omp parallel for collapse(2) schedule(static) if (outer * r * inner >= kParallelGrain)
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const T* p = x + o * r * inner + i;
      int64_t best = 0;
      T bv = p[0];
      for (int64_t j = 1; j < r; ++j) {
        T v = p[j * inner];
        if (is_max ? v > bv : v < bv) bv = v, best = j;
      }
      out[o * inner + i] = best;
    }
  }
}

#define HE_INSTANTIATE(T)                                                   \
  template void reduce<T>(Reduce, const T*, T*, int64_t, int64_t, int64_t); \
  template void arg_reduce<T>(bool, const T*, int64_t*, int64_t, int64_t, int64_t);
HE_INSTANTIATE(float)
HE_INSTANTIATE(double)
HE_INSTANTIATE(int32_t)
HE_INSTANTIATE(int64_t)
HE_INSTANTIATE(uint8_t)

}  // namespace he::kernels::cpu
