#pragma once
// 2-D pooling over planes: x(planes, H, W) -> y(planes, OH, OW), planes = N*C. f32 and f64.
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
// One plane of the 2x2 / stride 2 case (g.planes ignored), run in the calling thread: the
// pieces of max_pool2d / max_pool2d_backward that fused ops call per plane.
template <class T>
void max_pool2x2_plane(const PoolGeom& g, const T* x, T* y, int64_t* idx);
template <class T>
void max_pool2x2_backward_plane(const PoolGeom& g, const T* gy, const int64_t* idx, T* gx);
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

// The same on device pointers of the current device, asynchronous on its context's stream.
// Average pooling and adaptive pooling with even windows forward through cuDNN (the build
// must have found it); max pooling and every backward are plain kernels: cuDNN's max pooling
// gives no argmax, and its backward needs x and y, which the ops do not keep. Each backward
// gathers, per input pixel, the windows that read it in the CPU's order: deterministic, and
// max pooling's equal to the CPU's bit for bit.
namespace cuda {
template <class T>
void max_pool2d(const PoolGeom& g, const T* x, T* y, int64_t* idx);
template <class T>
void max_pool2d_backward(const PoolGeom& g, const T* gy, const int64_t* idx, T* gx);
template <class T>
void avg_pool2d(const PoolGeom& g, const T* x, T* y);
template <class T>
void avg_pool2d_backward(const PoolGeom& g, const T* gy, T* gx);
template <class T>
void adaptive_avg_pool2d(int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow, const T* x,
                         T* y);
template <class T>
void adaptive_avg_pool2d_backward(int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow,
                                  const T* gy, T* gx);
}  // namespace cuda
}  // namespace he::kernels
