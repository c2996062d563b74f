// The convolution, pooling, batch-norm and dropout ops on CUDA tensors against the same ops on
// the CPU: outputs on the inputs' device, values and autograd gradients within a tolerance,
// dropout masks equal for one seed, and mixed devices rejected naming the op.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "cuda_test_util.h"
#include "engine/engine.h"

namespace he {
namespace {

using Op = std::function<Tensor(const std::vector<Tensor>&)>;

void expect_close(const Tensor& got, const Tensor& ref, double tol, const std::string& what) {
  ASSERT_EQ(got.shape(), ref.shape()) << what;
  ASSERT_TRUE(got.device().is_cpu());
  const std::vector<double> g = got.to(DType::f64).to_vector<double>();
  const std::vector<double> r = ref.to(DType::f64).to_vector<double>();
  for (size_t i = 0; i < r.size(); ++i)
    ASSERT_NEAR(g[i], r[i], tol * (1 + std::abs(r[i]))) << what << " at " << i;
}

// Runs op on the CPU and on cuda:0 from the same inputs and output gradient; compares the
// outputs and the gradient of every input.
void check_op(const char* name, const Op& op, const std::vector<Tensor>& inputs, double tol,
              uint64_t seed) {
  std::vector<Tensor> cpu_in, dev_in;
  for (const Tensor& t : inputs) {
    cpu_in.push_back(t.detach().clone().requires_grad_(true));
    dev_in.push_back(t.detach().to(Device::cuda(0)).requires_grad_(true));
  }
  Tensor y = op(cpu_in);
  Generator gen(seed);
  Tensor gy = Tensor::randn(y.shape(), gen, y.dtype());
  y.backward(gy);
  Tensor yd = op(dev_in);
  ASSERT_EQ(yd.device(), Device::cuda(0)) << name;
  yd.backward(gy.to(Device::cuda(0)));
  expect_close(yd.to(Device::cpu()), y, tol, std::string(name) + " output");
  for (size_t i = 0; i < inputs.size(); ++i) {
    ASSERT_TRUE(dev_in[i].grad().defined()) << name << " input " << i;
    EXPECT_EQ(dev_in[i].grad().device(), Device::cuda(0)) << name << " input " << i;
    expect_close(dev_in[i].grad().to(Device::cpu()), cpu_in[i].grad(), tol,
                 std::string(name) + " grad of input " + std::to_string(i));
  }
}

TEST(CudaConvOps, OpsMatchCpu) {
  HE_REQUIRE_CUDA();
  const uint64_t seed = testing::test_seed("CudaConvOps.OpsMatchCpu");
  for (DType dt : {DType::f32, DType::f64}) {
    const double tol = dt == DType::f32 ? 2e-4 : 1e-10;
    Generator gen(seed + static_cast<uint64_t>(dt));
    auto randn = [&](const Shape& s) { return Tensor::randn(s, gen, dt); };
    Conv2dOptions o;
    o.stride_h = o.stride_w = 2;
    o.pad_h = o.pad_w = 1;
    o.groups = 2;
    check_op(
        "conv2d", [&](const std::vector<Tensor>& t) { return conv2d(t[0], t[1], t[2], o); },
        {randn({3, 4, 9, 8}), randn({6, 2, 3, 3}), randn({6})}, tol, seed);
    Conv2dOptions ot = o;
    ot.out_pad_h = ot.out_pad_w = 1;
    check_op(
        "conv_transpose2d",
        [&](const std::vector<Tensor>& t) { return conv_transpose2d(t[0], t[1], t[2], ot); },
        {randn({2, 4, 5, 6}), randn({4, 3, 3, 3}), randn({6})}, tol, seed);
    const Tensor x = randn({2, 3, 10, 9});
    check_op(
        "max_pool2d", [](const std::vector<Tensor>& t) { return max_pool2d(t[0], 3, 2, 1); }, {x},
        0, seed);
    check_op(
        "avg_pool2d", [](const std::vector<Tensor>& t) { return avg_pool2d(t[0], 2, 2, 0); }, {x},
        tol, seed);
    check_op(
        "adaptive_avg_pool2d",
        [](const std::vector<Tensor>& t) { return adaptive_avg_pool2d(t[0], 4, 3); }, {x}, tol,
        seed);
    check_op(
        "batch_norm",
        [](const std::vector<Tensor>& t) { return batch_norm_train(t[0], t[1], t[2], 1e-5).y; },
        {x, randn({3}), randn({3})}, tol, seed);
  }
}

// The running statistics the layer reads: the batch mean and the biased variance.
TEST(CudaConvOps, BatchNormStatisticsAndEvalMatchCpu) {
  HE_REQUIRE_CUDA();
  Generator gen(testing::test_seed("CudaConvOps.BatchNormStatisticsAndEvalMatchCpu"));
  const Tensor x = add(mul(Tensor::randn({8, 5, 6, 6}, gen), 2.0), 3.0);
  const Tensor w = Tensor::randn({5}, gen), b = Tensor::randn({5}, gen);
  const Device cuda = Device::cuda(0);
  BatchNormOut ref = batch_norm_train(x, w, b, 1e-5);
  BatchNormOut got = batch_norm_train(x.to(cuda), w.to(cuda), b.to(cuda), 1e-5);
  expect_close(got.mean.to(Device::cpu()), ref.mean, 2e-5, "mean");
  expect_close(got.var.to(Device::cpu()), ref.var, 2e-5, "var");
  const Tensor mean = Tensor::randn({5}, gen), var = add(exp(Tensor::randn({5}, gen)), 0.1);
  Tensor e = batch_norm_eval(x.to(cuda), mean.to(cuda), var.to(cuda), w.to(cuda), b.to(cuda), 1e-5);
  EXPECT_EQ(e.device(), cuda);
  expect_close(e.to(Device::cpu()), batch_norm_eval(x, mean, var, w, b, 1e-5), 2e-5, "eval");
}

TEST(CudaConvOps, DropoutMasksEqualAcrossDevicesForOneSeed) {
  HE_REQUIRE_CUDA();
  const uint64_t seed = testing::test_seed("CudaConvOps.DropoutMasksEqualAcrossDevicesForOneSeed");
  for (DType dt : {DType::f32, DType::f64}) {
    Generator data(seed);
    const Tensor x = Tensor::randn({7, 33, 65}, data, dt);
    Generator on_cpu(seed + 1), on_cuda(seed + 1);
    Tensor a = dropout(x, 0.35, on_cpu);
    Tensor b = dropout(x.to(Device::cuda(0)), 0.35, on_cuda);
    EXPECT_EQ(b.device(), Device::cuda(0));
    EXPECT_EQ(on_cpu.offset(), on_cuda.offset());
    Tensor bh = b.to(Device::cpu());
    if (dt == DType::f32)
      EXPECT_EQ(bh.to_vector<float>(), a.to_vector<float>());
    else
      EXPECT_EQ(bh.to_vector<double>(), a.to_vector<double>());
  }
}

TEST(CudaConvOps, MixedDevicesNameTheOp) {
  HE_REQUIRE_CUDA();
  Tensor x = Tensor::ones({1, 2, 5, 5});
  Tensor w = Tensor::ones({3, 2, 3, 3}, DType::f32, Device::cuda(0));
  try {
    conv2d(x, w, Tensor());
    FAIL() << "expected an error";
  } catch (const std::invalid_argument& e) {
    const std::string m = e.what();
    for (const char* part : {"conv2d", "cpu", "cuda:0"})
      EXPECT_NE(m.find(part), std::string::npos) << part << " missing from: " << m;
  }
}

}  // namespace
}  // namespace he
