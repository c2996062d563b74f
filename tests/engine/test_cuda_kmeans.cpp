// The CUDA k-means assignment against the CPU kernel (kernels/kmeans.h) on random input:
// the same centroid for every row except near ties, distances equal to rounding.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "cuda_test_util.h"
#include "kernels/kmeans.h"
#include "kernels/runtime.h"

#ifdef ENGINE_HAVE_CUDA
namespace he {
namespace {

using testing::DeviceBuffer;

TEST(CudaKMeans, AssignMatchesCpu) {
  HE_REQUIRE_CUDA();
  std::mt19937_64 rng(testing::test_seed("CudaKMeans.AssignMatchesCpu"));
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (auto [n, d, k] : {std::tuple<int64_t, int64_t, int64_t>{1, 1, 1},
                         {1000, 33, 70},
                         {5000, 784, 10},
                         {3000, 7, 256}}) {
    std::vector<float> x(n * d), c(k * d);
    for (auto& v : x) v = u(rng);
    for (auto& v : c) v = u(rng);
    std::vector<int64_t> cpu_assign(n);
    std::vector<float> cpu_d2(n);
    kernels::cpu::kmeans_assign(x.data(), n, d, c.data(), k, cpu_assign.data(), cpu_d2.data());
    DeviceBuffer<float> dx(x), dc(c), dd2(n, -1.0f);
    DeviceBuffer<int64_t> da(n, -1);
    kernels::cuda::kmeans_assign(dx.get(), n, d, dc.get(), k, da.get(), dd2.get());
    kernels::cuda::synchronize(0);
    std::vector<int64_t> gpu_assign = da.download();
    std::vector<float> gpu_d2 = dd2.download();
    for (int64_t i = 0; i < n; ++i) {
      auto exact = [&](int64_t j) {
        double s = 0;
        for (int64_t t = 0; t < d; ++t) s += std::pow(double(x[i * d + t]) - c[j * d + t], 2);
        return s;
      };
      ASSERT_GE(gpu_assign[i], 0) << "row " << i << " not written";
      const double tol = 1e-4 * (1 + exact(cpu_assign[i]));
      if (gpu_assign[i] != cpu_assign[i]) {
        EXPECT_NEAR(exact(gpu_assign[i]), exact(cpu_assign[i]), tol) << "row " << i;
      }
      EXPECT_NEAR(gpu_d2[i], cpu_d2[i], tol) << "row " << i;
    }
  }
}

}  // namespace
}  // namespace he
#endif
