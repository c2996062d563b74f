#pragma once
// Inverted dropout from the Philox stream (key, first counter): element i is kept when
// philox::uniform_at(key, first + i) < keep, the draw of kernels/random.h's bernoulli, so the
// mask depends only on (key, first), never on the thread count or the device.
#include <cstdint>

namespace he::kernels {
namespace cpu {
// x(n) -> mask(n) = kept ? scale : 0 and y(n) = x * mask. f32 and f64.
template <class T>
void dropout(const T* x, T* y, T* mask, int64_t n, uint64_t key, uint64_t first, double keep,
             T scale);
}  // namespace cpu
namespace cuda {
// The same on device pointers of the current device (asynchronous on its context's stream).
template <class T>
void dropout(const T* x, T* y, T* mask, int64_t n, uint64_t key, uint64_t first, double keep,
             T scale);
}  // namespace cuda
}  // namespace he::kernels
