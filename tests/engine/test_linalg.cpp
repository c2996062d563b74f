// The dense linear algebra ops (engine/ops/linalg.cpp): each result checked by the identity
// that defines it, on random matrices, and the argument checks.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/engine.h"

namespace he {
namespace {

// max |a - b| over two f64 matrices of one shape.
double max_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
  double m = 0;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
  return m;
}

Tensor eye(int64_t n) {
  std::vector<double> v(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i) v[i * n + i] = 1;
  return Tensor::from_vector(v, {n, n});
}

TEST(Linalg, SymmetricEigenReconstructsAndSortsAscending) {
  Generator gen(3);
  Tensor x = Tensor::randn({7, 5}, gen, DType::f64);
  Tensor a = matmul(x.t(), x);  // symmetric positive semi-definite (5,5)
  SymmetricEigen e = symmetric_eigen(a);
  ASSERT_EQ(e.values.shape(), (Shape{5}));
  ASSERT_EQ(e.vectors.shape(), (Shape{5, 5}));
  const std::vector<double> w = e.values.to_vector<double>();
  for (size_t i = 1; i < w.size(); ++i) EXPECT_LE(w[i - 1], w[i]);
  // a v_j = w_j v_j for every column, and V^T V = I.
  EXPECT_LT(max_diff(matmul(a, e.vectors), mul(e.vectors, e.values.unsqueeze(0))), 1e-10);
  EXPECT_LT(max_diff(matmul(e.vectors.t(), e.vectors), eye(5)), 1e-12);
}

TEST(Linalg, SvdIsThinAndReconstructs) {
  Generator gen(4);
  for (auto [m, n] : {std::pair<int64_t, int64_t>{6, 4}, {4, 6}, {5, 5}}) {
    Tensor a = Tensor::randn({m, n}, gen, DType::f64);
    Svd d = svd(a);
    const int64_t k = std::min(m, n);
    ASSERT_EQ(d.u.shape(), (Shape{m, k}));
    ASSERT_EQ(d.s.shape(), (Shape{k}));
    ASSERT_EQ(d.vt.shape(), (Shape{k, n}));
    const std::vector<double> s = d.s.to_vector<double>();
    for (size_t i = 1; i < s.size(); ++i) EXPECT_GE(s[i - 1], s[i]);
    EXPECT_LT(max_diff(matmul(mul(d.u, d.s.unsqueeze(0)), d.vt), a), 1e-12);
    EXPECT_LT(max_diff(matmul(d.u.t(), d.u), eye(k)), 1e-12);
  }
}

TEST(Linalg, SolveSpdSolvesAndLeavesItsInputsAlone) {
  Generator gen(5);
  Tensor x = Tensor::randn({8, 4}, gen, DType::f64);
  Tensor a = add(matmul(x.t(), x), eye(4));  // positive definite
  Tensor b = Tensor::randn({4, 3}, gen, DType::f64);
  const std::vector<double> b_before = b.to_vector<double>();
  Tensor sol = solve_spd(a, b);
  EXPECT_LT(max_diff(matmul(a, sol), b), 1e-12);
  EXPECT_EQ(b.to_vector<double>(), b_before);
  // f32 inputs are solved in double precision; the result is f64.
  Tensor sol32 = solve_spd(a.to(DType::f32), b.to(DType::f32));
  EXPECT_EQ(sol32.dtype(), DType::f64);
  EXPECT_LT(max_diff(sol32, sol), 1e-5);
}

TEST(Linalg, BadShapesNameTheOpAndTheShape) {
  auto message = [](auto f) {
    try {
      f();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no exception");
  };
  EXPECT_EQ(message([] {
              symmetric_eigen(Tensor::zeros({2, 3}, DType::f64));
            }),
            "symmetric_eigen: a must be square, got [2, 3]");
  EXPECT_EQ(message([] { svd(Tensor::zeros({4}, DType::f64)); }),
            "svd: a must be a matrix, got [4]");
  EXPECT_EQ(message([] {
              solve_spd(eye(3), Tensor::zeros({2, 1}, DType::f64));
            }),
            "solve_spd: a [3, 3] and b [2, 1] differ in rows");
  EXPECT_EQ(message([] {
              svd(Tensor::zeros({2, 2}, DType::i64));
            }),
            "svd: a must be f32 or f64, got i64");
}

}  // namespace
}  // namespace he
