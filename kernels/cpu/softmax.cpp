#include "kernels/softmax.h"

#include <cmath>

#include "kernels/cpu/strided_loop.h"

namespace he::kernels::cpu {

template <class T>
void softmax_rows(const T* x, T* y, int64_t rows, int64_t cols, bool log) {
#pragma omp parallel for schedule(static) if (rows * cols >= kParallelGrain)
  for (int64_t r = 0; r < rows; ++r) {
    const T* in = x + r * cols;
    T* out = y + r * cols;
    T m = in[0];
    for (int64_t j = 1; j < cols; ++j) m = in[j] > m ? in[j] : m;
    double s = 0;  // shifted by the row max: every exponent <= 0, no overflow
    for (int64_t j = 0; j < cols; ++j) s += std::exp(static_cast<double>(in[j] - m));
    if (log) {
      T lse = m + static_cast<T>(std::log(s));
      for (int64_t j = 0; j < cols; ++j) out[j] = in[j] - lse;
    } else {
      T inv = static_cast<T>(1.0 / s);
      for (int64_t j = 0; j < cols; ++j) out[j] = std::exp(in[j] - m) * inv;
    }
  }
}

template void softmax_rows<float>(const float*, float*, int64_t, int64_t, bool);
template void softmax_rows<double>(const double*, double*, int64_t, int64_t, bool);

}  // namespace he::kernels::cpu
