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

}  // namespace
}  // namespace he
