#pragma once
// Helpers of the CPU-vs-CUDA tests: device buffers, seeds, and the skip every test starts
// with. Compiles in builds without CUDA too (the buffers then throw, but no test gets there).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "kernels/runtime.h"

namespace he::testing {

// Every CUDA test starts with this: no backend or no device -> skipped, not failed.
#define HE_REQUIRE_CUDA()                                                           \
  do {                                                                              \
    if (!::he::kernels::cuda::built()) GTEST_SKIP() << "built without CUDA";        \
    if (::he::kernels::cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device"; \
  } while (0)

// A fresh seed each run, printed so a failure can be replayed (HE_TEST_SEED=<n> fixes it).
inline uint64_t test_seed(const char* test) {
  uint64_t s;
  if (const char* e = std::getenv("HE_TEST_SEED"))
    s = std::strtoull(e, nullptr, 10);
  else
    s = (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
  std::printf("[ seed     ] %s: HE_TEST_SEED=%llu\n", test, static_cast<unsigned long long>(s));
  return s;
}

// Device memory holding n elements of T on cuda:0, filled from / read back to host vectors.
template <class T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t n) : n_(n) {
    if (n_) p_ = static_cast<T*>(kernels::cuda::raw_malloc(n_ * sizeof(T), 0));
  }
  explicit DeviceBuffer(const std::vector<T>& v) : DeviceBuffer(v.size()) { upload(v); }
  DeviceBuffer(size_t n, T sentinel) : DeviceBuffer(std::vector<T>(n, sentinel)) {}
  ~DeviceBuffer() {
    if (p_) kernels::cuda::raw_free(p_, 0);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void upload(const std::vector<T>& v) {
    if (n_) kernels::cuda::copy_h2d(p_, v.data(), n_ * sizeof(T), 0);
  }
  std::vector<T> download() const {
    std::vector<T> v(n_);
    if (n_) kernels::cuda::copy_d2h(v.data(), p_, n_ * sizeof(T), 0);
    return v;
  }
  T* get() const { return p_; }
  size_t size() const { return n_; }

 private:
  size_t n_ = 0;
  T* p_ = nullptr;
};

}  // namespace he::testing
