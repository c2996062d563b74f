#include "kernels/hash.h"

#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/cpu/strided_loop.h"

namespace he::kernels::cpu {

template <class T>
double sign_pack(const T* h, T* b, uint64_t* packed, int64_t n, int64_t bits) {
  const int64_t words = (bits + 63) / 64;
  // Per-row sums added in row order afterwards: an OpenMP reduction combines the threads'
  // partial sums in whatever order they finish, so the error would vary from run to run.
  std::vector<double> row_err(static_cast<size_t>(n));
#pragma omp parallel for schedule(static) if (n * bits >= kParallelGrain)
  for (int64_t i = 0; i < n; ++i) {
    double err = 0;
    const T* hi = h + i * bits;
    T* bi = b + i * bits;
    uint64_t* code = packed ? packed + i * words : nullptr;
    if (code) std::memset(code, 0, sizeof(uint64_t) * words);
    for (int64_t j = 0; j < bits; ++j) {
      const bool one = hi[j] >= T(0);
      bi[j] = one ? T(1) : T(-1);
      const double d = static_cast<double>(hi[j] - bi[j]);
      err += d * d;
      if (code && one) code[j >> 6] |= uint64_t{1} << (j & 63);
    }
    row_err[i] = err;
  }
  double err = 0;
  for (double e : row_err) err += e;
  return err;
}

template <class T>
void sign_ste_backward(const T* g, const T* h, T* dh, int64_t count, bool clipped) {
  if (!clipped) {
    std::memcpy(dh, g, sizeof(T) * count);
    return;
  }
#pragma omp parallel for schedule(static) if (count >= kParallelGrain)
  for (int64_t i = 0; i < count; ++i) dh[i] = std::abs(h[i]) <= T(1) ? g[i] : T(0);
}

template <class T>
void continuation_forward(const T* x, T* y, int64_t count, double beta) {
  const T bt = static_cast<T>(beta);
#pragma omp parallel for schedule(static) if (count >= kParallelGrain)
  for (int64_t i = 0; i < count; ++i) y[i] = std::tanh(bt * x[i]);
}

template <class T>
void continuation_backward(const T* g, const T* y, T* dx, int64_t count, double beta) {
  const T bt = static_cast<T>(beta);
#pragma omp parallel for schedule(static) if (count >= kParallelGrain)
  for (int64_t i = 0; i < count; ++i) dx[i] = g[i] * bt * (T(1) - y[i] * y[i]);
}

#define HE_INSTANTIATE(T)                                                    \
  template double sign_pack<T>(const T*, T*, uint64_t*, int64_t, int64_t);   \
  template void sign_ste_backward<T>(const T*, const T*, T*, int64_t, bool); \
  template void continuation_forward<T>(const T*, T*, int64_t, double);      \
  template void continuation_backward<T>(const T*, const T*, T*, int64_t, double);
HE_INSTANTIATE(float)
HE_INSTANTIATE(double)

}  // namespace he::kernels::cpu
