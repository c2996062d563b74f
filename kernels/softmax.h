#pragma once
// Row softmax / log-softmax over contiguous rows: y(rows, cols) from x(rows, cols).
#include <cstdint>

namespace he::kernels::cpu {
template <class T>  // float or double
void softmax_rows(const T* x, T* y, int64_t rows, int64_t cols, bool log);
}  // namespace he::kernels::cpu

// The same on the current CUDA device (device pointers, context stream; asynchronous).
namespace he::kernels::cuda {
template <class T>  // float or double
void softmax_rows(const T* x, T* y, int64_t rows, int64_t cols, bool log);
}  // namespace he::kernels::cuda
