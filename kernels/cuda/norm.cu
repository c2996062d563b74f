// Batch normalisation on CUDA (kernels/norm.h): training forward and backward through cuDNN's
// spatial batch norm over x viewed as (N, C, S, 1); the per-channel sum and affine map are
// plain kernels.
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>

#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"
#include "kernels/norm.h"
#ifdef ENGINE_HAVE_CUDNN
#include "kernels/cuda/cudnn_util.h"
#endif

namespace he::kernels::cuda {
namespace {

constexpr int kThreads = 256;

// out[ch] = sum of x(n, ch, s): one block per channel, a fixed-order tree in double.
template <class T>
__global__ void channel_sum_kernel(const T* __restrict__ x, T* __restrict__ out, int64_t n,
                                   int64_t c, int64_t s) {
  __shared__ double part[kThreads];
  for (int64_t ch = blockIdx.x; ch < c; ch += gridDim.x) {
    double acc = 0;
    for (int64_t e = threadIdx.x; e < n * s; e += kThreads)
      acc += x[((e / s) * c + ch) * s + e % s];
    part[threadIdx.x] = acc;
    __syncthreads();
    for (int half = kThreads / 2; half > 0; half >>= 1) {
      if (threadIdx.x < half) part[threadIdx.x] += part[threadIdx.x + half];
      __syncthreads();
    }
    if (threadIdx.x == 0) out[ch] = static_cast<T>(part[0]);
    __syncthreads();  // part is reused by the next channel
  }
}

template <class T>
__global__ void channel_affine_kernel(const T* __restrict__ x, const T* __restrict__ scale,
                                      const T* __restrict__ shift, T* __restrict__ y, int64_t n,
                                      int64_t c, int64_t s) {
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n * c * s;
       e += int64_t(gridDim.x) * blockDim.x) {
    const int64_t ch = (e / s) % c;
    y[e] = x[e] * scale[ch] + shift[ch];
  }
}

#ifdef ENGINE_HAVE_CUDNN
template <class T>
__global__ void fill_kernel(T* p, int64_t n, T v) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    p[i] = v;
}

// The biased variance from cuDNN's saved inverse standard deviation, 1 / sqrt(var + eps)
// (cuDNN's running variance is the unbiased one).
template <class T>
__global__ void var_from_invstd_kernel(const T* __restrict__ invstd, T* __restrict__ var, int64_t c,
                                       double eps) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < c;
       i += int64_t(gridDim.x) * blockDim.x) {
    const double is = invstd[i];
    const double v = 1.0 / (is * is) - eps;
    var[i] = static_cast<T>(v > 0 ? v : 0);
  }
}

// Carves aligned device buffers out of the context's workspace (caller holds ctx.mu).
class Scratch {
 public:
  void add(size_t bytes) { total_ += round(bytes); }
  void take(Context& ctx) { base_ = static_cast<char*>(ctx.workspace(total_)); }
  template <class T>
  T* next(int64_t n) {
    T* p = reinterpret_cast<T*>(base_ + used_);
    used_ += round(sizeof(T) * static_cast<size_t>(n));
    return p;
  }

 private:
  static size_t round(size_t b) { return (b + 255) / 256 * 256; }
  size_t total_ = 0, used_ = 0;
  char* base_ = nullptr;
};

template <class T>
T* filled(Scratch& sc, int64_t n, T v, cudaStream_t stream) {
  T* p = sc.next<T>(n);
  fill_kernel<T><<<detail::grid_for(n), kThreads, 0, stream>>>(p, n, v);
  HE_CUDA_CHECK_LAUNCH("fill_kernel");
  return p;
}

// x viewed as (n, c, s, 1) and the (1, c, 1, 1) descriptor cuDNN derives for the statistics.
struct BnDescs {
  dnn::TensorDesc x;
  dnn::Desc<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor>
      stats;
  BnDescs(cudnnDataType_t t, int64_t n, int64_t c, int64_t s, const char* op)
      : x(t, n, c, s, 1, op) {
    HE_CUDNN_CHECK(cudnnDeriveBNTensorDescriptor(stats.get(), x.get(), CUDNN_BATCHNORM_SPATIAL));
  }
};
#endif

[[maybe_unused, noreturn]] void no_cudnn(const char* op) {
  throw std::runtime_error(std::string(op) +
                           " (cuda): this build found no cuDNN (kernels/CMakeLists.txt)");
}

}  // namespace

template <class T>
void batch_norm_train(const T* x, const T* w, const T* b, T* y, T* mean, T* invstd, T* var,
                      int64_t n, int64_t c, int64_t s, double eps) {
#ifdef ENGINE_HAVE_CUDNN
  const BnDescs d(dnn::data_type<T>(), n, c, s, "batch_norm");
  Context& ctx = current_context();
  std::lock_guard<std::mutex> lock(ctx.mu);
  Scratch sc;
  if (!w) sc.add(sizeof(T) * c);
  if (!b) sc.add(sizeof(T) * c);
  sc.take(ctx);
  const T* scale = w ? w : filled<T>(sc, c, T(1), ctx.stream);
  const T* shift = b ? b : filled<T>(sc, c, T(0), ctx.stream);
  const dnn::Blend<T> k;
  // No running statistics here (null, factor unused): the layer keeps its own from mean/var.
  HE_CUDNN_CHECK(cudnnBatchNormalizationForwardTraining(
      ctx.cudnn_handle(), CUDNN_BATCHNORM_SPATIAL, &k.one, &k.zero, d.x.get(), x, d.x.get(), y,
      d.stats.get(), scale, shift, 1.0, nullptr, nullptr, eps, mean, invstd));
  var_from_invstd_kernel<T><<<detail::grid_for(c), kThreads, 0, ctx.stream>>>(invstd, var, c, eps);
  HE_CUDA_CHECK_LAUNCH("var_from_invstd_kernel");
#else
  (void)x, (void)w, (void)b, (void)y, (void)mean, (void)invstd, (void)var, (void)n, (void)c,
      (void)s, (void)eps;
  no_cudnn("batch_norm");
#endif
}

template <class T>
void batch_norm_backward(const T* dy, const T* x, const T* w, const T* mean, const T* invstd, T* dx,
                         T* dw, T* db, int64_t n, int64_t c, int64_t s, double eps) {
#ifdef ENGINE_HAVE_CUDNN
  const BnDescs d(dnn::data_type<T>(), n, c, s, "batch_norm backward");
  Context& ctx = current_context();
  std::lock_guard<std::mutex> lock(ctx.mu);
  // cuDNN writes all three gradients: the unwanted ones go to scratch.
  Scratch sc;
  if (!w) sc.add(sizeof(T) * c);
  if (!dx) sc.add(sizeof(T) * n * c * s);
  if (!dw) sc.add(sizeof(T) * c);
  if (!db) sc.add(sizeof(T) * c);
  sc.take(ctx);
  const T* scale = w ? w : filled<T>(sc, c, T(1), ctx.stream);
  T* gx = dx ? dx : sc.next<T>(n * c * s);
  T* gw = dw ? dw : sc.next<T>(c);
  T* gb = db ? db : sc.next<T>(c);
  const dnn::Blend<T> k;
  HE_CUDNN_CHECK(cudnnBatchNormalizationBackward(
      ctx.cudnn_handle(), CUDNN_BATCHNORM_SPATIAL, &k.one, &k.zero, &k.one, &k.zero, d.x.get(), x,
      d.x.get(), dy, d.x.get(), gx, d.stats.get(), scale, gw, gb, eps, mean, invstd));
#else
  (void)dy, (void)x, (void)w, (void)mean, (void)invstd, (void)dx, (void)dw, (void)db, (void)n,
      (void)c, (void)s, (void)eps;
  no_cudnn("batch_norm backward");
#endif
}

template <class T>
void channel_sum(const T* x, T* out, int64_t n, int64_t c, int64_t s) {
  channel_sum_kernel<T>
      <<<detail::grid_for(c, 1), kThreads, 0, current_context().stream>>>(x, out, n, c, s);
  HE_CUDA_CHECK_LAUNCH("channel_sum_kernel");
}

template <class T>
void channel_affine(const T* x, const T* scale, const T* shift, T* y, int64_t n, int64_t c,
                    int64_t s) {
  channel_affine_kernel<T><<<detail::grid_for(n * c * s), kThreads, 0, current_context().stream>>>(
      x, scale, shift, y, n, c, s);
  HE_CUDA_CHECK_LAUNCH("channel_affine_kernel");
}

#define HE_INSTANTIATE(T)                                                                        \
  template void batch_norm_train<T>(const T*, const T*, const T*, T*, T*, T*, T*, int64_t,       \
                                    int64_t, int64_t, double);                                   \
  template void batch_norm_backward<T>(const T*, const T*, const T*, const T*, const T*, T*, T*, \
                                       T*, int64_t, int64_t, int64_t, double);                   \
  template void channel_sum<T>(const T*, T*, int64_t, int64_t, int64_t);                         \
  template void channel_affine<T>(const T*, const T*, const T*, T*, int64_t, int64_t, int64_t);
HE_INSTANTIATE(float)
HE_INSTANTIATE(double)

}  // namespace he::kernels::cuda
