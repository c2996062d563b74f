// Pooling on CUDA (kernels/pool.h). Average pooling, and adaptive pooling whose windows all
// have one size, run forward through cuDNN; max pooling (whose contract includes the argmax
// that cuDNN does not give), uneven adaptive windows and every backward are the kernels
// below. A backward thread owns one input pixel and adds the windows that read it in the
// CPU's window order, so no atomics and the same sums as the CPU's scatter.
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>

#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"
#include "kernels/pool.h"
#ifdef ENGINE_HAVE_CUDNN
#include "kernels/cuda/cudnn_util.h"
#endif

namespace he::kernels::cuda {
namespace {

constexpr int kThreads = 256;

#define HE_GRID_STRIDE(i, n)                                                \
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += int64_t(gridDim.x) * blockDim.x)

// a * b rounded once, never fused into a following add: the CPU multiplies, then adds.
__device__ inline float mul_rn(float a, float b) { return __fmul_rn(a, b); }
__device__ inline double mul_rn(double a, double b) { return __dmul_rn(a, b); }

// The windows [lo, hi) along one axis that contain input index a: window o starts at
// o * stride - pad and spans k.
__device__ inline void windows_covering(int64_t a, int64_t k, int64_t stride, int64_t pad,
                                        int64_t out, int64_t& lo, int64_t& hi) {
  const int64_t shifted = a + pad;  // window o covers a iff o*stride <= shifted < o*stride + k
  lo = shifted < k ? 0 : (shifted - k) / stride + 1;
  hi = shifted / stride + 1;
  if (hi > out) hi = out;
}

template <class T>
__global__ void max_pool_kernel(PoolGeom g, const T* __restrict__ x, T* __restrict__ y,
                                int64_t* __restrict__ idx) {
  HE_GRID_STRIDE(o, g.planes * g.oh * g.ow) {
    const int64_t p = o / (g.oh * g.ow), r = o % (g.oh * g.ow), oh = r / g.ow, ow = r % g.ow;
    const T* in = x + p * g.h * g.w;
    const int64_t h0 = oh * g.stride - g.pad, w0 = ow * g.stride - g.pad;
    const int64_t h1 = min(h0 + g.k, g.h), w1 = min(w0 + g.k, g.w);
    T best = 0;
    int64_t at = -1;
    for (int64_t i = max(h0, int64_t(0)); i < h1; ++i)
      for (int64_t j = max(w0, int64_t(0)); j < w1; ++j) {
        const T v = in[i * g.w + j];
        if (at < 0 || v > best) best = v, at = i * g.w + j;  // the first maximum in scan order
      }
    y[o] = best;
    idx[o] = at;
  }
}

template <class T>
__global__ void max_pool_backward_kernel(PoolGeom g, const T* __restrict__ gy,
                                         const int64_t* __restrict__ idx, T* __restrict__ gx) {
  HE_GRID_STRIDE(e, g.planes * g.h * g.w) {
    const int64_t p = e / (g.h * g.w), at = e % (g.h * g.w), a = at / g.w, b = at % g.w;
    int64_t oh0, oh1, ow0, ow1;
    windows_covering(a, g.k, g.stride, g.pad, g.oh, oh0, oh1);
    windows_covering(b, g.k, g.stride, g.pad, g.ow, ow0, ow1);
    T s = 0;
    for (int64_t oh = oh0; oh < oh1; ++oh)
      for (int64_t ow = ow0; ow < ow1; ++ow) {
        const int64_t o = (p * g.oh + oh) * g.ow + ow;
        if (idx[o] == at) s += gy[o];
      }
    gx[e] = s;
  }
}

template <class T>
__global__ void avg_pool_backward_kernel(PoolGeom g, const T* __restrict__ gy, T* __restrict__ gx) {
  const T inv = T(1) / static_cast<T>(g.k * g.k);
  HE_GRID_STRIDE(e, g.planes * g.h * g.w) {
    const int64_t p = e / (g.h * g.w), a = (e / g.w) % g.h, b = e % g.w;
    int64_t oh0, oh1, ow0, ow1;
    windows_covering(a, g.k, g.stride, g.pad, g.oh, oh0, oh1);
    windows_covering(b, g.k, g.stride, g.pad, g.ow, ow0, ow1);
    T s = 0;
    for (int64_t oh = oh0; oh < oh1; ++oh)
      for (int64_t ow = ow0; ow < ow1; ++ow) s += mul_rn(gy[(p * g.oh + oh) * g.ow + ow], inv);
    gx[e] = s;
  }
}

// Adaptive window i of n over an axis of size len: [floor(i*len/n), ceil((i+1)*len/n)).
__device__ inline int64_t win_start(int64_t i, int64_t len, int64_t n) { return i * len / n; }
__device__ inline int64_t win_end(int64_t i, int64_t len, int64_t n) {
  return ((i + 1) * len + n - 1) / n;
}

template <class T>
__global__ void adaptive_avg_kernel(int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow,
                                    const T* __restrict__ x, T* __restrict__ y) {
  HE_GRID_STRIDE(o, planes * oh * ow) {
    const int64_t p = o / (oh * ow), i = (o / ow) % oh, j = o % ow;
    const int64_t h0 = win_start(i, h, oh), h1 = win_end(i, h, oh);
    const int64_t w0 = win_start(j, w, ow), w1 = win_end(j, w, ow);
    T s = 0;
    for (int64_t a = h0; a < h1; ++a)
      for (int64_t b = w0; b < w1; ++b) s += x[(p * h + a) * w + b];
    y[o] = s / static_cast<T>((h1 - h0) * (w1 - w0));
  }
}

// The adaptive windows i in [lo, hi) of n over an axis of size len that contain index a:
// start(i) <= a iff i < (a+1) n / len, and end(i) > a iff i >= floor(a n / len).
__device__ inline void adaptive_covering(int64_t a, int64_t len, int64_t n, int64_t& lo,
                                         int64_t& hi) {
  lo = a * n / len;
  hi = ((a + 1) * n + len - 1) / len;
  if (hi > n) hi = n;
}

template <class T>
__global__ void adaptive_avg_backward_kernel(int64_t planes, int64_t h, int64_t w, int64_t oh,
                                             int64_t ow, const T* __restrict__ gy,
                                             T* __restrict__ gx) {
  HE_GRID_STRIDE(e, planes * h * w) {
    const int64_t p = e / (h * w), a = (e / w) % h, b = e % w;
    int64_t i0, i1, j0, j1;
    adaptive_covering(a, h, oh, i0, i1);
    adaptive_covering(b, w, ow, j0, j1);
    T s = 0;
    for (int64_t i = i0; i < i1; ++i)
      for (int64_t j = j0; j < j1; ++j) {
        const int64_t n =
            (win_end(i, h, oh) - win_start(i, h, oh)) * (win_end(j, w, ow) - win_start(j, w, ow));
        s += gy[(p * oh + i) * ow + j] / static_cast<T>(n);
      }
    gx[e] = s;
  }
}

#ifdef ENGINE_HAVE_CUDNN
// y(planes, oh, ow) = the average over k x k windows (padding counted) of x(planes, h, w).
template <class T>
void cudnn_avg_pool(int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow, int64_t k,
                    int64_t stride, int64_t pad, const T* x, T* y, const char* op) {
  using dnn::to_int;
  const cudnnDataType_t t = dnn::data_type<T>();
  dnn::TensorDesc xd(t, planes, 1, h, w, op), yd(t, planes, 1, oh, ow, op);
  dnn::PoolingDesc pd;
  HE_CUDNN_CHECK(cudnnSetPooling2dDescriptor(
      pd.get(), CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING, CUDNN_NOT_PROPAGATE_NAN, to_int(k, op),
      to_int(k, op), to_int(pad, op), to_int(pad, op), to_int(stride, op), to_int(stride, op)));
  int n = 0, c = 0, ph = 0, pw = 0;
  HE_CUDNN_CHECK(cudnnGetPooling2dForwardOutputDim(pd.get(), xd.get(), &n, &c, &ph, &pw));
  if (ph != oh || pw != ow)
    throw std::logic_error(std::string(op) + " (cuda): cuDNN's output " + std::to_string(ph) + "x" +
                           std::to_string(pw) + " differs from the expected " + std::to_string(oh) +
                           "x" + std::to_string(ow));
  Context& ctx = current_context();
  std::lock_guard<std::mutex> lock(ctx.mu);  // the handle is used by one thread at a time
  const dnn::Blend<T> blend;
  HE_CUDNN_CHECK(cudnnPoolingForward(ctx.cudnn_handle(), pd.get(), &blend.one, xd.get(), x,
                                     &blend.zero, yd.get(), y));
}
#endif

}  // namespace

template <class T>
void max_pool2d(const PoolGeom& g, const T* x, T* y, int64_t* idx) {
  const int64_t n = g.planes * g.oh * g.ow;
  max_pool_kernel<T><<<detail::grid_for(n), kThreads, 0, current_context().stream>>>(g, x, y, idx);
  HE_CUDA_CHECK_LAUNCH("max_pool_kernel");
}

template <class T>
void max_pool2d_backward(const PoolGeom& g, const T* gy, const int64_t* idx, T* gx) {
  const int64_t n = g.planes * g.h * g.w;
  max_pool_backward_kernel<T>
      <<<detail::grid_for(n), kThreads, 0, current_context().stream>>>(g, gy, idx, gx);
  HE_CUDA_CHECK_LAUNCH("max_pool_backward_kernel");
}

template <class T>
void avg_pool2d(const PoolGeom& g, const T* x, T* y) {
#ifdef ENGINE_HAVE_CUDNN
  cudnn_avg_pool(g.planes, g.h, g.w, g.oh, g.ow, g.k, g.stride, g.pad, x, y, "avg_pool2d");
#else
  (void)g, (void)x, (void)y;
  throw std::runtime_error("avg_pool2d (cuda): this build found no cuDNN (kernels/CMakeLists.txt)");
#endif
}

template <class T>
void avg_pool2d_backward(const PoolGeom& g, const T* gy, T* gx) {
  const int64_t n = g.planes * g.h * g.w;
  avg_pool_backward_kernel<T>
      <<<detail::grid_for(n), kThreads, 0, current_context().stream>>>(g, gy, gx);
  HE_CUDA_CHECK_LAUNCH("avg_pool_backward_kernel");
}

template <class T>
void adaptive_avg_pool2d(int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow, const T* x,
                         T* y) {
#ifdef ENGINE_HAVE_CUDNN
  if (h % oh == 0 && w % ow == 0 && h / oh == w / ow) {  // square, even windows: plain pooling
    const int64_t k = h / oh;
    cudnn_avg_pool(planes, h, w, oh, ow, k, k, 0, x, y, "adaptive_avg_pool2d");
    return;
  }
#endif
  const int64_t n = planes * oh * ow;
  adaptive_avg_kernel<T>
      <<<detail::grid_for(n), kThreads, 0, current_context().stream>>>(planes, h, w, oh, ow, x, y);
  HE_CUDA_CHECK_LAUNCH("adaptive_avg_kernel");
}

template <class T>
void adaptive_avg_pool2d_backward(int64_t planes, int64_t h, int64_t w, int64_t oh, int64_t ow,
                                  const T* gy, T* gx) {
  const int64_t n = planes * h * w;
  adaptive_avg_backward_kernel<T><<<detail::grid_for(n), kThreads, 0, current_context().stream>>>(
      planes, h, w, oh, ow, gy, gx);
  HE_CUDA_CHECK_LAUNCH("adaptive_avg_backward_kernel");
}

#define HE_INSTANTIATE(T)                                                                          \
  template void max_pool2d<T>(const PoolGeom&, const T*, T*, int64_t*);                            \
  template void max_pool2d_backward<T>(const PoolGeom&, const T*, const int64_t*, T*);             \
  template void avg_pool2d<T>(const PoolGeom&, const T*, T*);                                      \
  template void avg_pool2d_backward<T>(const PoolGeom&, const T*, T*);                             \
  template void adaptive_avg_pool2d<T>(int64_t, int64_t, int64_t, int64_t, int64_t, const T*, T*); \
  template void adaptive_avg_pool2d_backward<T>(int64_t, int64_t, int64_t, int64_t, int64_t,       \
                                                const T*, T*);
HE_INSTANTIATE(float)
HE_INSTANTIATE(double)

}  // namespace he::kernels::cuda
