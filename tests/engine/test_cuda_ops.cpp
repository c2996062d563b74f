// Core CUDA kernels against the CPU reference: elementwise (contiguous and broadcast),
// reductions, softmax and cuBLAS GEMM. Table-driven: one row per op.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cuda_test_util.h"
#include "kernels/blas.h"
#include "kernels/elementwise.h"
#include "kernels/reduce.h"
#include "kernels/softmax.h"

#ifdef ENGINE_HAVE_CUDA
namespace he {
namespace {

using kernels::Binary;
using kernels::Reduce;
using kernels::Strided;
using kernels::Unary;
using testing::DeviceBuffer;

template <class T>
T tol() {
  return std::is_same_v<T, float> ? T(2e-5) : T(1e-12);
}

template <class T>
void expect_close(const std::vector<T>& got, const std::vector<T>& ref, T rel,
                  const std::string& ctx) {
  ASSERT_EQ(got.size(), ref.size()) << ctx;
  for (size_t i = 0; i < ref.size(); ++i) {
    if (std::isnan(ref[i])) {
      ASSERT_TRUE(std::isnan(got[i])) << ctx << " at " << i;
      continue;
    }
    ASSERT_NEAR(got[i], ref[i], rel * (1 + std::abs(ref[i]))) << ctx << " at " << i;
  }
}

template <class T>
std::vector<T> uniform(size_t n, double lo, double hi, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(lo, hi);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(u(rng));
  return v;
}

struct UnaryRow {
  Unary op;
  const char* name;
  double lo, hi, a, b;  // input range and scalars
};
const UnaryRow kUnary[] = {
    {Unary::Neg, "neg", -3, 3, 0, 0},
    {Unary::Exp, "exp", -5, 5, 0, 0},
    {Unary::Log, "log", 0.01, 10, 0, 0},
    {Unary::Sqrt, "sqrt", 0, 10, 0, 0},
    {Unary::Abs, "abs", -3, 3, 0, 0},
    {Unary::Tanh, "tanh", -4, 4, 0, 0},
    {Unary::Sigmoid, "sigmoid", -30, 30, 0, 0},
    {Unary::Relu, "relu", -3, 3, 0, 0},
    {Unary::Sign, "sign", -3, 3, 0, 0},
    {Unary::AddScalar, "add_scalar", -3, 3, 1.5, 0},
    {Unary::MulScalar, "mul_scalar", -3, 3, -2, 0},
    {Unary::RSubScalar, "rsub", -3, 3, 1, 0},
    {Unary::RDivScalar, "rdiv", 0.5, 3, 2, 0},
    {Unary::PowScalar, "square", -3, 3, 2, 0},
    {Unary::PowScalar, "pow", 0.1, 3, 1.7, 0},
    {Unary::Clamp, "clamp", -3, 3, -1, 0.5},
    {Unary::LeakyRelu, "leaky_relu", -3, 3, 0.01, 0},
    {Unary::Elu, "elu", -3, 3, 1.0, 0},
    {Unary::Softplus, "softplus", -10, 10, 1.0, 20},
};

template <class T>
void check_unary(uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (const UnaryRow& row : kUnary)
    for (int64_t n : {1, 1000, 70001}) {
      auto x = uniform<T>(n, row.lo, row.hi, rng);
      std::vector<T> ref(n);
      kernels::cpu::unary(row.op, x.data(), ref.data(), n, row.a, row.b);
      DeviceBuffer<T> dx(x), dy(n, T(-777));
      kernels::cuda::unary(row.op, dx.get(), dy.get(), n, row.a, row.b);
      expect_close(dy.download(), ref, tol<T>(), std::string(row.name) + " n=" + std::to_string(n));
    }
}

TEST(CudaOps, UnaryMatchesCpu) {
  HE_REQUIRE_CUDA();
  const uint64_t seed = testing::test_seed("CudaOps.UnaryMatchesCpu");
  check_unary<float>(seed);
  check_unary<double>(seed + 1);
}

// Layouts: contiguous, broadcast both ways, a scalar, and a transposed output.
struct Layout {
  const char* name;
  Strided l;
  int64_t na, nb, nout;  // elements each operand spans
};
std::vector<Layout> layouts() {
  std::vector<Layout> v;
  auto make = [](int ndim, std::vector<int64_t> shape, std::vector<std::vector<int64_t>> st) {
    Strided s;
    s.ndim = ndim;
    for (int d = 0; d < ndim; ++d) {
      s.shape[d] = shape[d];
      for (int k = 0; k < 3; ++k) s.stride[k][d] = st[k][d];
    }
    return s;
  };
  v.push_back({"contiguous", make(1, {1000}, {{1}, {1}, {1}}), 1000, 1000, 1000});
  v.push_back({"broadcast", make(3, {4, 3, 5}, {{15, 5, 1}, {5, 0, 1}, {0, 5, 1}}), 20, 15, 60});
  v.push_back({"scalar_b", make(1, {777}, {{1}, {1}, {0}}), 777, 1, 777});
  v.push_back({"transposed_out", make(2, {3, 4}, {{1, 3}, {4, 1}, {0, 1}}), 12, 4, 12});
  v.push_back({"zero_dim", make(0, {}, {{}, {}, {}}), 1, 1, 1});
  return v;
}

template <class T>
void check_binary(uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (const Layout& L : layouts())
    for (Binary op : {Binary::Add, Binary::Sub, Binary::Mul, Binary::Div, Binary::Max, Binary::Min,
                      Binary::Pow, Binary::PassIfPositive}) {
      std::vector<T> a(L.na), b(L.nb);
      for (auto& x : a) x = static_cast<T>(std::uniform_int_distribution<int>(1, 4)(rng));
      for (auto& x : b) x = static_cast<T>(std::uniform_int_distribution<int>(1, 3)(rng));
      if (std::is_floating_point_v<T>)
        for (auto& x : a) x = x * T(0.37) - T(0.5);  // negatives for PassIfPositive
      std::vector<T> ref(L.nout, T(0));
      kernels::cpu::binary(op, L.l, a.data(), b.data(), ref.data());
      DeviceBuffer<T> da(a), dbuf(b), dout(L.nout, T(0));
      kernels::cuda::binary(op, L.l, da.get(), dbuf.get(), dout.get());
      const std::string ctx = std::string(L.name) + " op=" + std::to_string(int(op));
      if constexpr (std::is_floating_point_v<T>)
        expect_close(dout.download(), ref, tol<T>(), ctx);
      else
        ASSERT_EQ(dout.download(), ref) << ctx;
    }
}

TEST(CudaOps, BinaryBroadcastMatchesCpu) {
  HE_REQUIRE_CUDA();
  const uint64_t seed = testing::test_seed("CudaOps.BinaryBroadcastMatchesCpu");
  check_binary<float>(seed);
  check_binary<double>(seed + 1);
  check_binary<int32_t>(seed + 2);
  check_binary<int64_t>(seed + 3);
}

template <class T>
void check_reduce(uint64_t seed) {
  std::mt19937_64 rng(seed);
  struct Shape3 {
    int64_t outer, r, inner;
  };
  for (Shape3 s : {Shape3{1, 1, 1}, Shape3{7, 1000, 1}, Shape3{3, 100003, 1}, Shape3{5, 17, 33},
                   Shape3{1, 300, 1000}}) {
    std::ostringstream shape;  // (a "+" chain here trips a false -Wrestrict in GCC 12)
    shape << "(" << s.outer << "," << s.r << "," << s.inner << ")";
    const std::string ctx = shape.str();
    std::vector<T> x(s.outer * s.r * s.inner);
    for (auto& v : x) v = static_cast<T>(std::uniform_int_distribution<int>(-50, 50)(rng));
    if constexpr (std::is_floating_point_v<T>)  // eighths: every partial sum is exact
      for (auto& v : x) v = v / T(8);
    for (Reduce op : {Reduce::Sum, Reduce::Max, Reduce::Min}) {
      std::vector<T> ref(s.outer * s.inner);
      kernels::cpu::reduce(op, x.data(), ref.data(), s.outer, s.r, s.inner);
      DeviceBuffer<T> dx(x), dout(ref.size(), T(99));
      kernels::cuda::reduce(op, dx.get(), dout.get(), s.outer, s.r, s.inner);
      ASSERT_EQ(dout.download(), ref) << ctx << " op=" << int(op);  // exact in any order
    }
    for (bool is_max : {false, true}) {
      std::vector<int64_t> ref(s.outer * s.inner);
      kernels::cpu::arg_reduce(is_max, x.data(), ref.data(), s.outer, s.r, s.inner);
      DeviceBuffer<T> dx(x);
      DeviceBuffer<int64_t> dout(ref.size(), int64_t{-1});
      kernels::cuda::arg_reduce(is_max, dx.get(), dout.get(), s.outer, s.r, s.inner);
      ASSERT_EQ(dout.download(), ref) << ctx << " arg is_max=" << is_max;
    }
  }
}

TEST(CudaOps, ReduceMatchesCpu) {
  HE_REQUIRE_CUDA();
  const uint64_t seed = testing::test_seed("CudaOps.ReduceMatchesCpu");
  check_reduce<float>(seed);
  check_reduce<double>(seed + 1);
  check_reduce<int32_t>(seed + 2);
  check_reduce<int64_t>(seed + 3);
}

template <class T>
void check_softmax(uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (auto [rows, cols] : {std::pair<int64_t, int64_t>{1, 1}, {5, 10}, {300, 1000}, {2, 70001}})
    for (bool log : {false, true}) {
      auto x = uniform<T>(rows * cols, -20, 20, rng);
      std::vector<T> ref(x.size());
      kernels::cpu::softmax_rows(x.data(), ref.data(), rows, cols, log);
      DeviceBuffer<T> dx(x), dy(x.size(), T(-777));
      kernels::cuda::softmax_rows(dx.get(), dy.get(), rows, cols, log);
      expect_close(dy.download(), ref, tol<T>(),
                   "rows=" + std::to_string(rows) + " cols=" + std::to_string(cols) +
                       " log=" + std::to_string(log));
    }
}

TEST(CudaOps, SoftmaxMatchesCpu) {
  HE_REQUIRE_CUDA();
  const uint64_t seed = testing::test_seed("CudaOps.SoftmaxMatchesCpu");
  check_softmax<float>(seed);
  check_softmax<double>(seed + 1);
}

template <class T>
void check_gemm(uint64_t seed) {
  std::mt19937_64 rng(seed);
  const int64_t m = 37, n = 53, k = 29, pad = 3;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      // Stored shapes: A is (m,k) or (k,m), B is (k,n) or (n,k), with padded row strides.
      const int64_t ar = ta ? k : m, ac = ta ? m : k, br = tb ? n : k, bc = tb ? k : n;
      const int64_t lda = ac + pad, ldb = bc + pad, ldc = n + pad;
      auto a = uniform<T>(ar * lda, -1, 1, rng), b = uniform<T>(br * ldb, -1, 1, rng);
      auto c = uniform<T>(m * ldc, -1, 1, rng);
      std::vector<T> ref = c;
      kernels::cpu::gemm(ta, tb, m, n, k, T(0.75), a.data(), lda, b.data(), ldb, T(0.5), ref.data(),
                         ldc);
      DeviceBuffer<T> da(a), dbuf(b), dc(c);
      kernels::cuda::gemm(ta, tb, m, n, k, T(0.75), da.get(), lda, dbuf.get(), ldb, T(0.5),
                          dc.get(), ldc);
      expect_close(dc.download(), ref, std::is_same_v<T, float> ? T(1e-5) : T(1e-13),
                   "ta=" + std::to_string(ta) + " tb=" + std::to_string(tb));
    }
}

TEST(CudaOps, GemmMatchesCpu) {
  HE_REQUIRE_CUDA();
  const uint64_t seed = testing::test_seed("CudaOps.GemmMatchesCpu");
  check_gemm<float>(seed);
  check_gemm<double>(seed + 1);
}

TEST(CudaOps, FillWritesEveryElement) {
  HE_REQUIRE_CUDA();
  DeviceBuffer<float> f(100003, 1.f);
  kernels::cuda::fill(f.get(), 100003, 2.5f);
  EXPECT_EQ(f.download(), std::vector<float>(100003, 2.5f));
  DeviceBuffer<uint64_t> u(5, 0);
  kernels::cuda::fill<uint64_t>(u.get(), 5, ~uint64_t{0});
  EXPECT_EQ(u.download(), std::vector<uint64_t>(5, ~uint64_t{0}));
}

}  // namespace
}  // namespace he
#else
TEST(CudaOps, SkippedWithoutCuda) { GTEST_SKIP() << "built without CUDA"; }
#endif
