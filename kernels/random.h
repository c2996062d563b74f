#pragma once
// Random fills from the Philox stream (key, first counter): element i uses counter
// first + i, so the values do not depend on the thread count or the device.
#include <cstdint>

namespace he::kernels::cpu {
template <class T>  // float or double
void uniform(T* y, int64_t n, uint64_t key, uint64_t first, double lo, double hi);
template <class T>
void normal(T* y, int64_t n, uint64_t key, uint64_t first, double mean, double std);
template <class T>
void bernoulli(T* y, int64_t n, uint64_t key, uint64_t first, double p);
}  // namespace he::kernels::cpu

// The same on the current CUDA device (device pointer, context stream; asynchronous): the
// same counters, so one seed gives the same stream on both devices.
namespace he::kernels::cuda {
template <class T>
void uniform(T* y, int64_t n, uint64_t key, uint64_t first, double lo, double hi);
template <class T>
void normal(T* y, int64_t n, uint64_t key, uint64_t first, double mean, double std);
template <class T>
void bernoulli(T* y, int64_t n, uint64_t key, uint64_t first, double p);
}  // namespace he::kernels::cuda
