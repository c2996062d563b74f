#pragma once
// The per-device CUDA context (internal to kernels/cuda and to code built only with the
// CUDA backend): one stream, one cuBLAS handle, one cuDNN handle (when cuDNN was found at
// build time) and one growable scratch workspace per device, created on first use and kept
// for the life of the process (never destroyed: tearing handles down during static
// destruction races the CUDA runtime's own shutdown).
//
// The kernels run on the current device (cudaGetDevice) and on its context's stream. The
// stream is a blocking one, so the runtime's synchronous copies (kernels/runtime.h, on the
// legacy default stream) are ordered with the kernels without extra synchronisation.
#include <cublas_v2.h>
#include <cuda_runtime.h>
#ifdef ENGINE_HAVE_CUDNN
#include <cudnn.h>
#endif

#include <cstddef>
#include <mutex>

namespace he::kernels::cuda {

struct Context {
  int device = 0;
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;
#ifdef ENGINE_HAVE_CUDNN
  cudnnHandle_t cudnn = nullptr;  // created on first call of cudnn_handle()
#endif
  // Scratch memory of at least `bytes`, valid until the next workspace() call on this
  // context. Callers hold `mu` from the first workspace() call until their last use of it is
  // enqueued: work on one stream runs in enqueue order, so that is enough.
  void* workspace(size_t bytes);
#ifdef ENGINE_HAVE_CUDNN
  cudnnHandle_t cudnn_handle();
#endif
  std::mutex mu;

 private:
  void* ws_ = nullptr;
  size_t ws_bytes_ = 0;
};

int current_device();
// The context of `device` (checked with require_device), created on first use.
Context& context(int device);
inline Context& current_context() { return context(current_device()); }
// Waits for the context's stream; errors of earlier asynchronous kernels surface here.
void sync(Context& ctx);

}  // namespace he::kernels::cuda
