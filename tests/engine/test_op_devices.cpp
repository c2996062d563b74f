// The op table (op_cases.h), second way: every row on CUDA against the CPU on the same
// random inputs, in f64 and f32: the output, and the gradient of every input through
// sum(out * w) with a fixed random w. Skipped without a CUDA device.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "cuda_test_util.h"
#include "op_cases.h"

namespace he {
namespace {

using testing::In;
using testing::OpCase;

// The inputs as fresh leaves of dtype `dt` on `dev`, requiring grad where the originals do.
In leaves_on(const In& inputs, DType dt, Device dev) {
  In out;
  for (const Tensor& t : inputs) {
    Tensor c = t.detach().to(dt).to(dev).clone().detach();
    if (t.requires_grad()) c.requires_grad_();
    out.push_back(c);
  }
  return out;
}

::testing::AssertionResult close(const Tensor& got, const Tensor& want, double tol,
                                 const std::string& what) {
  if (got.shape() != want.shape())
    return ::testing::AssertionFailure()
           << what << ": shape " << got.shape_str() << " vs " << want.shape_str();
  if (!got.device().is_cuda())
    return ::testing::AssertionFailure() << what << ": result on " << got.device().str();
  const std::vector<double> g = got.to_vector<double>(), w = want.to_vector<double>();
  for (size_t i = 0; i < w.size(); ++i) {
    if (std::isnan(w[i]) && std::isnan(g[i])) continue;
    if (!(std::abs(g[i] - w[i]) <= tol * (1 + std::abs(w[i]))))
      return ::testing::AssertionFailure()
             << what << " element " << i << ": cuda " << g[i] << " vs cpu " << w[i];
  }
  return ::testing::AssertionSuccess();
}

// Runs the row on both devices in dtype `dt`; compares outputs and input gradients.
void compare_devices(const OpCase& c, DType dt, double tol) {
  const In base = c.inputs();
  In cpu_in = leaves_on(base, dt, Device::cpu());
  In cuda_in = leaves_on(base, dt, Device::cuda(0));
  Tensor cpu_out = c.f(cpu_in), cuda_out = c.f(cuda_in);
  const std::string tag = c.name + " (" + dtype_name(dt) + ")";
  ASSERT_TRUE(close(cuda_out, cpu_out, tol, tag + " output"));
  if (!cpu_out.requires_grad()) return;
  Generator gen(99);
  Tensor w = Tensor::randn(cpu_out.shape(), gen, cpu_out.dtype());
  sum(mul(cpu_out, w)).backward();
  sum(mul(cuda_out, w.to(Device::cuda(0)))).backward();
  for (size_t k = 0; k < base.size(); ++k) {
    if (!cpu_in[k].requires_grad() || !cpu_in[k].grad().defined()) continue;
    ASSERT_TRUE(cuda_in[k].grad().defined()) << tag << ": no gradient for input " << k;
    ASSERT_TRUE(close(cuda_in[k].grad(), cpu_in[k].grad(), tol,
                      tag + " gradient of input " + std::to_string(k)));
  }
}

class OpOnCuda : public ::testing::TestWithParam<OpCase> {};

TEST_P(OpOnCuda, MatchesCpu) {
  HE_REQUIRE_CUDA();
  const OpCase& c = GetParam();
  compare_devices(c, DType::f64, c.tol_f64);
  compare_devices(c, DType::f32, c.tol_f32);
}

INSTANTIATE_TEST_SUITE_P(AllOps, OpOnCuda, ::testing::ValuesIn(testing::op_cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace he
