// CUDA runtime plumbing: every call checked, errors name the device, the size and the reason.
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "kernels/runtime.h"

namespace he::kernels::cuda {
namespace {
void check(cudaError_t e, const char* what, int device) {
  if (e != cudaSuccess)
    throw std::runtime_error(std::string(what) + " on cuda:" + std::to_string(device) + ": " +
                             cudaGetErrorString(e));
}
}  // namespace

bool built() { return true; }

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver" error
    return 0;
  }
  return n;
}

void require_device(int device) {
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    cudaGetLastError();
    throw std::runtime_error("cuda:" + std::to_string(device) +
                             " requested but the CUDA runtime reports: " + cudaGetErrorString(e) +
                             " (no driver or no GPU on this machine)");
  }
  if (device < 0 || device >= n)
    throw std::runtime_error("cuda:" + std::to_string(device) + " requested but only " +
                             std::to_string(n) + " CUDA device(s) are present");
}

void set_device(int device) {
  int current = -1;
  if (cudaGetDevice(&current) == cudaSuccess && current == device) return;
  check(cudaSetDevice(device), "cudaSetDevice", device);
}

std::string device_name(int device) {
  require_device(device);
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties", device);
  return prop.name;
}

void* raw_malloc(size_t bytes, int device) {
  check(cudaSetDevice(device), "cudaSetDevice", device);
  void* p = nullptr;
  cudaError_t e = cudaMalloc(&p, bytes);
  if (e != cudaSuccess) {
    cudaGetLastError();
    size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    throw std::runtime_error("cuda:" + std::to_string(device) + " out of memory: asked " +
                             std::to_string(bytes) + " bytes, " + std::to_string(free_b) +
                             " free of " + std::to_string(total_b) + " (" + cudaGetErrorString(e) +
                             ")");
  }
  return p;
}

void raw_free(void* p, int device) {
  check(cudaSetDevice(device), "cudaSetDevice", device);
  check(cudaFree(p), "cudaFree", device);
}

void copy_h2d(void* dst, const void* src, size_t bytes, int device) {
  check(cudaSetDevice(device), "cudaSetDevice", device);
  check(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "copy host->device", device);
}
void copy_d2h(void* dst, const void* src, size_t bytes, int device) {
  check(cudaSetDevice(device), "cudaSetDevice", device);
  check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), "copy device->host", device);
}
void copy_d2d(void* dst, const void* src, size_t bytes, int device) {
  check(cudaSetDevice(device), "cudaSetDevice", device);
  check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice), "copy device->device", device);
}
void synchronize(int device) {
  check(cudaSetDevice(device), "cudaSetDevice", device);
  check(cudaDeviceSynchronize(), "cudaDeviceSynchronize", device);
}

}  // namespace he::kernels::cuda
