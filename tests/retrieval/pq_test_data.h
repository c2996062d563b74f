#pragma once
// Seeded float data for the PQ tests: uniform rows and a Gaussian mixture.
#include <cstdint>
#include <random>
#include <vector>

namespace he::retrieval::testing {

inline std::vector<float> uniform_rows(size_t n, size_t d, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> x(n * d);
  for (auto& v : x) v = u(rng);
  return x;
}

// n rows around `centres` centres drawn in [-4, 4]^d, unit-variance noise scaled by sigma.
inline std::vector<float> mixture_rows(size_t n, size_t d, size_t centres, float sigma,
                                       uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-4.0f, 4.0f);
  std::normal_distribution<float> g(0.0f, sigma);
  std::vector<float> c(centres * d), x(n * d);
  for (auto& v : c) v = u(rng);
  for (size_t i = 0; i < n; ++i) {
    const size_t z = rng() % centres;
    for (size_t t = 0; t < d; ++t) x[i * d + t] = c[z * d + t] + g(rng);
  }
  return x;
}

}  // namespace he::retrieval::testing
