#include "engine/allocator.h"

#include <bit>
#include <cstdlib>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>

#include "kernels/runtime.h"

namespace he {

namespace {
void* cpu_raw_alloc(size_t bytes, int) {
  void* p = std::aligned_alloc(64, bytes);  // bytes is a bin size, a multiple of 64
  if (!p) throw std::bad_alloc();
  return p;
}
void cpu_raw_free(void* p, int) { std::free(p); }
}  // namespace

size_t CachingAllocator::bin_size(size_t bytes) {
  // Small blocks round up to 512 bytes; larger ones to a quarter-power-of-two step, so
  // at most 25% is wasted and a handful of bins cover every size a model uses.
  if (bytes <= 512) return 512;
  size_t top = std::bit_floor(bytes);
  size_t step = std::max<size_t>(top / 4, 64);
  return (bytes + step - 1) / step * step;
}

void* CachingAllocator::allocate(size_t bytes, size_t* binned) {
  size_t size = bin_size(bytes);
  *binned = size;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = free_.find(size);
    if (it != free_.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      stats_.bytes_cached -= size;
      stats_.bytes_in_use += size;
      stats_.peak_in_use = std::max(stats_.peak_in_use, stats_.bytes_in_use);
      return p;
    }
  }
  void* p = nullptr;
  try {
    p = raw_alloc_(size, device_);
  } catch (...) {
    empty_cache();  // out of memory: give the cached blocks back and try once more
    p = raw_alloc_(size, device_);
  }
  std::lock_guard<std::mutex> lock(mu_);
  stats_.system_allocs++;
  stats_.bytes_in_use += size;
  stats_.peak_in_use = std::max(stats_.peak_in_use, stats_.bytes_in_use);
  return p;
}

void CachingAllocator::release(void* p, size_t binned) {
  std::lock_guard<std::mutex> lock(mu_);
  free_[binned].push_back(p);
  stats_.bytes_in_use -= binned;
  stats_.bytes_cached += binned;
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [size, blocks] : free_) {
    for (void* p : blocks) raw_free_(p, device_);
    stats_.bytes_cached -= size * blocks.size();
  }
  free_.clear();
}

AllocatorStats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

CachingAllocator::~CachingAllocator() {
  for (auto& [size, blocks] : free_)
    for (void* p : blocks) raw_free_(p, device_);
}

CachingAllocator& allocator_for(Device d) {
  // Per-device contexts are the one kind of global state the design allows; they live for
  // the whole process (never destroyed, so no static-destruction-order hazards).
  static CachingAllocator* cpu = new CachingAllocator(cpu_raw_alloc, cpu_raw_free, 0);
  if (d.is_cpu()) return *cpu;
  constexpr int kMaxDevices = 16;
  static CachingAllocator* cuda[kMaxDevices] = {};
  static std::mutex mu;
  if (d.index < 0 || d.index >= kMaxDevices)
    throw std::invalid_argument("allocator: no device " + d.str());
  kernels::cuda::require_device(d.index);
  std::lock_guard<std::mutex> lock(mu);
  if (!cuda[d.index])
    cuda[d.index] =
        new CachingAllocator(kernels::cuda::raw_malloc, kernels::cuda::raw_free, d.index);
  return *cuda[d.index];
}

}  // namespace he
