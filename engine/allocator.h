#pragma once
// Caching allocators, one per device. Blocks are rounded up to a size bin and, when freed,
// kept in that bin's free list instead of being returned to the system: a training step
// allocates the same sizes every iteration, and glibc/cudaMalloc round trips (page faults,
// device syncs) cost far more than the memory kept.
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "kernels/dtype.h"

namespace he {

struct AllocatorStats {
  size_t bytes_in_use = 0;  // handed out and not yet freed
  size_t bytes_cached = 0;  // held in free lists
  size_t peak_in_use = 0;
  size_t system_allocs = 0;  // calls that reached the system allocator
};

class CachingAllocator {
 public:
  using RawAlloc = void* (*)(size_t bytes, int device);
  using RawFree = void (*)(void* p, int device);
  CachingAllocator(RawAlloc a, RawFree f, int device)
      : raw_alloc_(a), raw_free_(f), device_(device) {}
  ~CachingAllocator();
  // Returns a block of at least `bytes` (64-byte aligned on the CPU) and its binned size.
  void* allocate(size_t bytes, size_t* binned);
  void release(void* p, size_t binned);
  void empty_cache();  // returns every cached block to the system
  AllocatorStats stats() const;
  static size_t bin_size(size_t bytes);

 private:
  RawAlloc raw_alloc_;
  RawFree raw_free_;
  int device_;
  mutable std::mutex mu_;
  std::map<size_t, std::vector<void*>> free_;
  AllocatorStats stats_;
};

// The allocator of a device (created on first use; CUDA ones need the CUDA backend).
CachingAllocator& allocator_for(Device d);

}  // namespace he
