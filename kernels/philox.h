#pragma once
// Philox4x32-10 (Salmon et al., 'Parallel random numbers: as easy as 1, 2, 3', SC 2011):
// a counter-based generator. Output block = f(key, counter), so element i of a stream can
// be computed independently on any thread or device: that is what makes a run reproducible
// across thread counts, on CPU and GPU, and resumable from (seed, offset) alone.
#include <array>
#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define HE_HOST_DEVICE __host__ __device__
#else
#define HE_HOST_DEVICE
#endif

namespace he::philox {

struct Block {
  uint32_t v[4];
};

HE_HOST_DEVICE inline void mulhilo(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
  uint64_t p = static_cast<uint64_t>(a) * b;
  hi = static_cast<uint32_t>(p >> 32);
  lo = static_cast<uint32_t>(p);
}

// 4 x 32 random bits for (key, counter). The 128-bit counter is (counter, stream).
HE_HOST_DEVICE inline Block block(uint64_t key, uint64_t counter, uint64_t stream = 0) {
  uint32_t c0 = static_cast<uint32_t>(counter), c1 = static_cast<uint32_t>(counter >> 32);
  uint32_t c2 = static_cast<uint32_t>(stream), c3 = static_cast<uint32_t>(stream >> 32);
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo(0xD2511F53u, c0, hi0, lo0);
    mulhilo(0xCD9E8D57u, c2, hi1, lo1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0, c1 = n1, c2 = n2, c3 = n3;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return Block{{c0, c1, c2, c3}};
}

// Uniform in [0, 1) with 53 random bits, from two 32-bit words.
HE_HOST_DEVICE inline double uniform53(uint32_t hi, uint32_t lo) {
  uint64_t bits = (static_cast<uint64_t>(hi) << 21) ^ (lo >> 11);
  return static_cast<double>(bits & ((1ull << 53) - 1)) * (1.0 / 9007199254740992.0);
}

// The element-i draws of the engine's streams: element i of a stream that starts at
// `offset` uses counter offset + i, whatever the thread or device computing it.
HE_HOST_DEVICE inline double uniform_at(uint64_t key, uint64_t counter) {
  Block b = block(key, counter);
  return uniform53(b.v[0], b.v[1]);
}

HE_HOST_DEVICE inline double normal_at(uint64_t key, uint64_t counter) {
  Block b = block(key, counter);
  double u1 = 1.0 - uniform53(b.v[0], b.v[1]);  // (0, 1]: log is finite
  double u2 = uniform53(b.v[2], b.v[3]);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

HE_HOST_DEVICE inline uint64_t bits64_at(uint64_t key, uint64_t counter) {
  Block b = block(key, counter);
  return (static_cast<uint64_t>(b.v[0]) << 32) | b.v[1];
}

}  // namespace he::philox
