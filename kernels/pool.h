#pragma once
// 2-D pooling over planes: x(planes, H, W) -> y(planes, OH, OW), planes = N*C.
#include <cstdint>

namespace he::kernels {
struct PoolGeom {
  int64_t planes, h, w, oh, ow, k, stride, pad;
};
namespace cpu {
// Max over each window (padding never wins); idx = argmax position within the plane (h*W+w).
template <class T>
void max_pool2d(const PoolGeom& g, const T* x, T* y, int64_t* idx);
template <class T>
void max_pool2d_backward(const PoolGeom& g, const T* gy, const int64_t* idx, T* gx);
// Average with padding counted in the divisor (PyTorch's default count_include_pad).
template <class T>
void avg_pool2d(const PoolGeom& g, const T* x, T* y);
template <class T>
void avg_pool2d_backward(const PoolGeom& g, const T* gy, T* gx);
// Adaptive average: window i spans [floor(i*H/OH), ceil((i+1)*H/OH)).
template <class T>
void adaptive_avg_pool2d(int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow, const T* x,
                         T* y);
template <class T>
void adaptive_avg_pool2d_backward(int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow,
                                  const T* gy, T* gx);
}  // namespace cpu
}  // namespace he::kernels
