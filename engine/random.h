#pragma once
// Generator: a seed (the Philox key) and an offset (how many counters the stream has used).
// A draw of n elements uses counters [offset, offset + n) and advances the offset by n, so
// saving (seed, offset) in a checkpoint is enough to continue the exact same sequence.
#include <cstdint>

#include "kernels/philox.h"

namespace he {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : seed_(seed) {}
  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  void set_state(uint64_t seed, uint64_t offset) { seed_ = seed, offset_ = offset; }
  // Reserves n counters and returns the first.
  uint64_t advance(uint64_t n) {
    uint64_t first = offset_;
    offset_ += n;
    return first;
  }
  // Single draws, for host-side decisions (shuffles, augmentation parameters).
  double uniform() { return philox::uniform_at(seed_, advance(1)); }
  double normal() { return philox::normal_at(seed_, advance(1)); }
  uint64_t next_u64() { return philox::bits64_at(seed_, advance(1)); }
  // Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; bias < n / 2^64).
  uint64_t below(uint64_t n) {
    return static_cast<uint64_t>((static_cast<unsigned __int128>(next_u64()) * n) >> 64);
  }

 private:
  uint64_t seed_ = 0;
  uint64_t offset_ = 0;
};

}  // namespace he
