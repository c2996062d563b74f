// Per-device CUDA context: stream, cuBLAS / cuDNN handles and workspace, created lazily.
#include "kernels/cuda/context.h"

#include <string>

#include "kernels/cuda/check.h"
#include "kernels/runtime.h"

namespace he::kernels::cuda {
namespace {
constexpr int kMaxDevices = 64;
std::mutex g_contexts_mu;
Context* g_contexts[kMaxDevices] = {};  // leaked on purpose, see context.h
}  // namespace

int current_device() {
  int d = 0;
  HE_CUDA_CHECK(cudaGetDevice(&d));
  return d;
}

Context& context(int device) {
  std::lock_guard<std::mutex> lock(g_contexts_mu);
  if (device >= 0 && device < kMaxDevices && g_contexts[device]) return *g_contexts[device];
  require_device(device);
  if (device >= kMaxDevices)
    throw std::runtime_error("cuda:" + std::to_string(device) + ": at most " +
                             std::to_string(kMaxDevices) + " devices are supported");
  auto* ctx = new Context;
  ctx->device = device;
  HE_CUDA_CHECK(cudaSetDevice(device));
  HE_CUDA_CHECK(cudaStreamCreate(&ctx->stream));  // blocking: ordered with the legacy stream
  HE_CUBLAS_CHECK(cublasCreate(&ctx->cublas));
  HE_CUBLAS_CHECK(cublasSetStream(ctx->cublas, ctx->stream));
  // Full FP32 products: no TF32 unless a caller asks for it (kernels/blas.h).
  HE_CUBLAS_CHECK(cublasSetMathMode(ctx->cublas, CUBLAS_DEFAULT_MATH));
  g_contexts[device] = ctx;
  return *ctx;
}

void* Context::workspace(size_t bytes) {
  if (bytes <= ws_bytes_) return ws_;
  HE_CUDA_CHECK(cudaSetDevice(device));
  if (ws_) {
    HE_CUDA_CHECK(cudaStreamSynchronize(stream));  // earlier work may still read it
    HE_CUDA_CHECK(cudaFree(ws_));
    ws_ = nullptr;
    ws_bytes_ = 0;
  }
  size_t want = bytes < (size_t{1} << 20) ? (size_t{1} << 20) : bytes + bytes / 4;
  ws_ = raw_malloc(want, device);  // throws with the size asked and the free memory
  ws_bytes_ = want;
  return ws_;
}

#ifdef ENGINE_HAVE_CUDNN
cudnnHandle_t Context::cudnn_handle() {
  std::lock_guard<std::mutex> lock(g_contexts_mu);
  if (!cudnn) {
    HE_CUDA_CHECK(cudaSetDevice(device));
    cudnnStatus_t s = cudnnCreate(&cudnn);
    if (s != CUDNN_STATUS_SUCCESS)
      detail::throw_cuda("cudnnCreate", cudnnGetErrorString(s), __FILE__, __LINE__);
    s = cudnnSetStream(cudnn, stream);
    if (s != CUDNN_STATUS_SUCCESS)
      detail::throw_cuda("cudnnSetStream", cudnnGetErrorString(s), __FILE__, __LINE__);
  }
  return cudnn;
}
#endif

void sync(Context& ctx) { HE_CUDA_CHECK(cudaStreamSynchronize(ctx.stream)); }

}  // namespace he::kernels::cuda
