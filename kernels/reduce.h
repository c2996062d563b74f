#pragma once
// Reductions over the middle axis of a contiguous (outer, r, inner) block:
// out[o, i] = reduce_j x[o, j, i]. Any set of reduced dims reaches the kernel in this form.
#include <cstdint>

namespace he::kernels {
enum class Reduce : uint8_t { Sum, Max, Min };
namespace cpu {
template <class T>  // T in {float, double, int32_t, int64_t}
void reduce(Reduce op, const T* x, T* out, int64_t outer, int64_t r, int64_t inner);
// Index of the first max (or min) along r, as int64.
template <class T>
void arg_reduce(bool is_max, const T* x, int64_t* out, int64_t outer, int64_t r, int64_t inner);
}  // namespace cpu
// The same on the current CUDA device (device pointers, context stream; asynchronous).
// f32 sums accumulate in double on both paths, in a different order than the CPU's.
namespace cuda {
template <class T>  // T in {float, double, int32_t, int64_t, uint8_t}
void reduce(Reduce op, const T* x, T* out, int64_t outer, int64_t r, int64_t inner);
template <class T>
void arg_reduce(bool is_max, const T* x, int64_t* out, int64_t outer, int64_t r, int64_t inner);
}  // namespace cuda
}  // namespace he::kernels
