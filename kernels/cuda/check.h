#pragma once
// Error checks for the CUDA kernels (internal to kernels/cuda). Every runtime, cuBLAS and
// cuDNN call and every kernel launch goes through one of these; a failure throws
// std::runtime_error naming the call, the file and line, and the library's own message.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace he::kernels::cuda::detail {

[[noreturn]] inline void throw_cuda(const char* what, const char* reason, const char* file,
                                    int line) {
  throw std::runtime_error(std::string(what) + " failed at " + file + ":" + std::to_string(line) +
                           ": " + reason);
}

inline void check_cuda(cudaError_t e, const char* what, const char* file, int line) {
  if (e != cudaSuccess) {
    cudaGetLastError();  // clear a non-sticky error so the next call starts clean
    throw_cuda(what, cudaGetErrorString(e), file, line);
  }
}

inline void check_cublas(cublasStatus_t s, const char* what, const char* file, int line) {
  if (s != CUBLAS_STATUS_SUCCESS) throw_cuda(what, cublasGetStatusString(s), file, line);
}

// Blocks of 256 threads covering n items, capped so a grid-stride loop does the rest.
inline unsigned grid_for(int64_t n, int64_t threads = 256, int64_t cap = 65535) {
  int64_t b = (n + threads - 1) / threads;
  return static_cast<unsigned>(b < 1 ? 1 : (b > cap ? cap : b));
}

}  // namespace he::kernels::cuda::detail

#define HE_CUDA_CHECK(expr) \
  ::he::kernels::cuda::detail::check_cuda((expr), #expr, __FILE__, __LINE__)
#define HE_CUBLAS_CHECK(expr) \
  ::he::kernels::cuda::detail::check_cublas((expr), #expr, __FILE__, __LINE__)
// After every <<<...>>>: launch-configuration errors surface here, asynchronous faults at the
// next synchronising call (which is checked too).
#define HE_CUDA_CHECK_LAUNCH(name) \
  ::he::kernels::cuda::detail::check_cuda(cudaGetLastError(), "launch of " name, __FILE__, __LINE__)
