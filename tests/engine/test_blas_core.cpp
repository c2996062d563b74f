// The OpenBLAS kernel choice (kernels/cpu/blas_core.cpp): which fallbacks are replaced, that
// the kernel set in use on this CPU is no pre-AVX2 fallback, and that products are right after
// the switch.
#include <cblas.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <vector>

#include "kernels/blas.h"

namespace he::kernels::cpu {
namespace {

TEST(BlasCore, ReplacesOnlyPreAvx2Fallbacks) {
  EXPECT_EQ(better_blas_core("Prescott", true, true), "SkylakeX");
  EXPECT_EQ(better_blas_core("Prescott", true, false), "Haswell");
  EXPECT_EQ(better_blas_core("Prescott", false, false), "");           // a CPU without AVX2: keep
  EXPECT_EQ(better_blas_core("sandybridge", true, false), "Haswell");  // any letter case
  EXPECT_EQ(better_blas_core("Nehalem", true, true), "SkylakeX");
  // A core OpenBLAS chose from its model table stays, even where AVX-512 exists (Zen).
  EXPECT_EQ(better_blas_core("Haswell", true, true), "");
  EXPECT_EQ(better_blas_core("Zen", true, true), "");
  EXPECT_EQ(better_blas_core("SkylakeX", true, true), "");
  EXPECT_EQ(better_blas_core("Cooperlake", true, true), "");
}

TEST(BlasCore, KernelsInUseMatchTheCpu) {
  const BlasCore& core = blas_core();
  EXPECT_EQ(core.name, std::string(openblas_get_corename()));
  if (std::getenv("OPENBLAS_CORETYPE")) GTEST_SKIP() << "OPENBLAS_CORETYPE is set by the user";
  if (!core.dynamic) GTEST_SKIP() << "this OpenBLAS has one fixed kernel set (no DYNAMIC_ARCH)";
  EXPECT_EQ(better_blas_core(core.name), "")
      << "OpenBLAS runs its " << core.name << " kernels on a CPU with AVX2 or AVX-512";
  if (!core.note.empty()) {
    EXPECT_NE(core.note.find("model table gave"), std::string::npos);
  }
}

TEST(BlasCore, ProductsAreRightWithTheChosenKernels) {
  const int64_t m = 67, n = 45, k = 53;  // odd sizes: every kernel edge case
  std::mt19937 rng(5);
  std::normal_distribution<float> nd;
  std::vector<float> a(m * k), b(k * n), c(m * n);
  for (float& v : a) v = nd(rng);
  for (float& v : b) v = nd(rng);
  gemm(false, false, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n);
  double worst = 0;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double ref = 0;
      for (int64_t p = 0; p < k; ++p) ref += static_cast<double>(a[i * k + p]) * b[p * n + j];
      worst = std::max(worst, std::abs(ref - c[i * n + j]));
    }
  EXPECT_LT(worst, 1e-4);
}

}  // namespace
}  // namespace he::kernels::cpu
