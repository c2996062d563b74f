// The op table (op_cases.h), first way: a double-precision finite-difference check of each
// row's gradient, including broadcasting and non-contiguous (transposed, sliced) inputs.
#include <gtest/gtest.h>

#include "gradcheck.h"
#include "op_cases.h"

namespace he {
namespace {

using testing::gradcheck;
using testing::OpCase;

class OpGrad : public ::testing::TestWithParam<OpCase> {};

TEST_P(OpGrad, MatchesFiniteDifferences) {
  const OpCase& c = GetParam();
  // to_f32 round trip loses precision by design: check it at f32 tolerance.
  const bool f32 = c.name == "to_f32_and_back";
  EXPECT_TRUE(gradcheck(c.f, c.inputs(), f32 ? 1e-2 : 1e-6, f32 ? 1e-3 : 1e-6)) << c.name;
}

INSTANTIATE_TEST_SUITE_P(AllOps, OpGrad, ::testing::ValuesIn(testing::op_cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace he
