#pragma once
// Shared helpers for the retrieval tests: seeded random and clustered codes.
#include <random>

#include "retrieval/codes.h"

namespace he::retrieval::testing {

inline PackedCodes random_codes(size_t n, int bits, uint64_t seed) {
  PackedCodes c(n, bits);
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i < n; ++i)
    for (int j = 0; j < bits; ++j) c.set_bit(i, j, rng() & 1);
  return c;
}

// Each code: one of `centres` random centres with 0..max_flips random bit flips, so many
// exact ties and duplicates occur.
inline PackedCodes clustered_codes(size_t n, int bits, size_t centres, int max_flips,
                                   uint64_t seed) {
  PackedCodes cen = random_codes(centres, bits, seed ^ 0x9e3779b97f4a7c15ull);
  PackedCodes c(n, bits);
  std::mt19937_64 rng(seed);
  for (size_t i = 0; i < n; ++i) {
    size_t z = rng() % centres;
    for (int j = 0; j < bits; ++j) c.set_bit(i, j, cen.bit(z, j));
    int flips = static_cast<int>(rng() % (max_flips + 1));
    for (int f = 0; f < flips; ++f) {
      int j = static_cast<int>(rng() % bits);
      c.set_bit(i, j, !c.bit(i, j));
    }
  }
  return c;
}

}  // namespace he::retrieval::testing
