// Device dispatch: outputs live on the inputs' device, mixing devices is an error that names
// the op, both devices and the shapes, and data<T>() stays host-only.
#include <gtest/gtest.h>

#include <string>

#include "cuda_test_util.h"
#include "engine/engine.h"

namespace he {
namespace {

TEST(Dispatch, CpuOutputsStayOnCpu) {
  Tensor a = Tensor::from_vector<float>({1, 2, 3});
  EXPECT_TRUE(add(a, a).device().is_cpu());
  EXPECT_TRUE(gt(a, 1.0).device().is_cpu());
  EXPECT_EQ(a.data_ptr<float>(), a.data<float>());
  EXPECT_THROW(a.data_ptr<double>(), std::invalid_argument);
}

TEST(Dispatch, CudaTensorWithoutUsableDeviceFailsClearly) {
  if (kernels::cuda::built() && kernels::cuda::device_count() > 0)
    GTEST_SKIP() << "a CUDA device is usable here";
  try {
    Tensor::zeros({2}, DType::f32, Device::cuda(0));
    FAIL() << "expected an error";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("cuda:0"), std::string::npos) << e.what();
  }
}

TEST(Dispatch, MixingDevicesNamesOpDevicesAndShapes) {
  HE_REQUIRE_CUDA();
  Tensor a = Tensor::ones({2, 3});
  Tensor b = Tensor::ones({3}, DType::f32, Device::cuda(0));
  try {
    add(a, b);
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    const std::string m = e.what();
    for (const char* part : {"add", "cpu", "cuda:0", "[2, 3]", "[3]"})
      EXPECT_NE(m.find(part), std::string::npos) << part << " missing from: " << m;
  }
}

TEST(Dispatch, DeviceOutputsStayOnDeviceAndDataIsHostOnly) {
  HE_REQUIRE_CUDA();
  Tensor a = Tensor::from_vector<float>({1, -2, 3, -4}, {2, 2}).to(Device::cuda(0));
  Tensor y = relu(add(a, a));
  EXPECT_EQ(y.device(), Device::cuda(0));
  EXPECT_THROW(y.data<float>(), std::invalid_argument);
  EXPECT_NE(y.data_ptr<float>(), nullptr);
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{2, 0, 6, 0}));
  EXPECT_EQ(gt(a, 0.0).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 0, 1, 0}));
  Tensor w = where(gt(a, 0.0), a, Tensor::full({}, 9, DType::f32, Device::cuda(0)));
  EXPECT_EQ(w.to_vector<float>(), (std::vector<float>{1, 9, 3, 9}));
  EXPECT_EQ(a.t().contiguous().to(DType::f64).to_vector<double>(),
            (std::vector<double>{1, 3, -2, -4}));
}

// Kernels the op table does not reach directly: random fills, one_hot, integer compares and
// conversions, strided fills.
TEST(Dispatch, RandomFillsAreTheSameStreamOnBothDevices) {
  HE_REQUIRE_CUDA();
  for (DType dt : {DType::f32, DType::f64}) {
    Generator a(42), b(42);
    EXPECT_EQ(Tensor::uniform({1000}, -2, 3, a, dt).to_vector<double>(),
              Tensor::uniform({1000}, -2, 3, b, dt, Device::cuda(0)).to_vector<double>());
    EXPECT_EQ(Tensor::bernoulli({1000}, 0.3, a, dt).to_vector<double>(),
              Tensor::bernoulli({1000}, 0.3, b, dt, Device::cuda(0)).to_vector<double>());
    const auto n_cpu = Tensor::randn({1000}, a, DType::f64).to_vector<double>();
    const auto n_cuda = Tensor::randn({1000}, b, DType::f64, Device::cuda(0)).to_vector<double>();
    for (size_t i = 0; i < n_cpu.size(); ++i) EXPECT_NEAR(n_cuda[i], n_cpu[i], 1e-12) << i;
    EXPECT_EQ(a.offset(), b.offset());
  }
}

TEST(Dispatch, IndexAndIntegerOpsMatchCpu) {
  HE_REQUIRE_CUDA();
  const Device gpu = Device::cuda(0);
  Generator g(7);
  Tensor labels = Tensor::randperm(50, g).reshape({5, 10});
  EXPECT_EQ(one_hot(labels, 50).to_vector<float>(), one_hot(labels.to(gpu), 50).to_vector<float>());
  Tensor ints = Tensor::randperm(64, g).reshape({8, 8});
  Tensor other = ints.t().contiguous();
  using Cmp = Tensor (*)(const Tensor&, const Tensor&);
  for (Cmp cmp : std::initializer_list<Cmp>{eq, ne, lt, le, gt, ge})
    EXPECT_EQ(cmp(ints, other).to_vector<uint8_t>(),
              cmp(ints.to(gpu), other.to(gpu)).to_vector<uint8_t>());
  EXPECT_EQ(add(ints, other).to_vector<int64_t>(),
            add(ints.to(gpu), other.to(gpu)).to_vector<int64_t>());
  EXPECT_EQ(ints.t().to(DType::f32).to_vector<float>(),
            ints.to(gpu).t().to(DType::f32).to_vector<float>());
  EXPECT_EQ(argmax(ints, 1).to_vector<int64_t>(), argmax(ints.to(gpu), 1).to_vector<int64_t>());
  Tensor strided = Tensor::zeros({6, 4}, DType::f32, gpu);
  strided.detach().t().fill_(2.5);
  EXPECT_EQ(strided.to_vector<float>(), std::vector<float>(24, 2.5f));
}

TEST(Dispatch, KMeansAssignMatchesCpu) {
  HE_REQUIRE_CUDA();
  Generator g(3);
  Tensor x = Tensor::randn({200, 16}, g), c = Tensor::randn({7, 16}, g);
  KMeansAssignment cpu = kmeans_assign(x, c);
  KMeansAssignment gpu = kmeans_assign(x.to(Device::cuda(0)), c.to(Device::cuda(0)));
  EXPECT_EQ(gpu.assign.device(), Device::cuda(0));
  // The kernels round differently (kernels/kmeans.h), so a row whose two best centroids are
  // within rounding may pick the other one; its distance must then be as small.
  const auto a_cpu = cpu.assign.to_vector<int64_t>(), a_gpu = gpu.assign.to_vector<int64_t>();
  const auto d_cpu = cpu.dist2.to_vector<float>(), d_gpu = gpu.dist2.to_vector<float>();
  int64_t differ = 0;
  for (size_t i = 0; i < d_cpu.size(); ++i) {
    differ += a_cpu[i] != a_gpu[i];
    EXPECT_NEAR(d_gpu[i], d_cpu[i], 1e-3f * (1 + d_cpu[i])) << i;
  }
  EXPECT_LE(differ, 2);
}

// The factorisations reconstruct their input; device inputs get device results equal to
// the CPU's (the work runs on the host either way).
TEST(Dispatch, FactorisationsReconstructAndKeepTheDevice) {
  Generator g(4);
  Tensor m = Tensor::randn({5, 5}, g, DType::f64);
  Tensor eye = one_hot(Tensor::arange(0, 5, 1, DType::i64), 5, DType::f64);
  Tensor spd = add(matmul(m, m.t()), mul(eye, 0.5));  // symmetric positive definite
  SymmetricEigen e = symmetric_eigen(spd);
  Tensor av = matmul(spd, e.vectors), vl = mul(e.vectors, e.values);
  EXPECT_LT(amax(abs(sub(av, vl))).item<double>(), 1e-10);
  Tensor rect = Tensor::randn({6, 4}, g, DType::f64);
  Svd d = svd(rect);
  EXPECT_LT(amax(abs(sub(matmul(mul(d.u, d.s), d.vt), rect))).item<double>(), 1e-10);
  Tensor b = Tensor::randn({5, 2}, g, DType::f64);
  Tensor x = solve_spd(spd, b);
  EXPECT_LT(amax(abs(sub(matmul(spd, x), b))).item<double>(), 1e-10);
  if (!kernels::cuda::built() || kernels::cuda::device_count() == 0) return;
  Tensor xg = solve_spd(spd.to(Device::cuda(0)), b.to(Device::cuda(0)));
  EXPECT_EQ(xg.device(), Device::cuda(0));
  EXPECT_EQ(xg.to_vector<double>(), x.to_vector<double>());
}

}  // namespace
}  // namespace he
