// Forward values of the ops against hand-computed results, and errors that name the op
// and the shapes.
#include <gtest/gtest.h>

#include "engine/engine.h"

namespace he {
namespace {

std::vector<float> v(const Tensor& t) { return t.to_vector<float>(); }
Tensor f(std::vector<float> x, Shape s) { return Tensor::from_vector(x, s); }

TEST(Ops, ElementwiseValues) {
  Tensor a = f({1, -2, 3, 0}, {2, 2});
  EXPECT_EQ(v(relu(a)), (std::vector<float>{1, 0, 3, 0}));
  EXPECT_EQ(v(sign(a)), (std::vector<float>{1, -1, 1, 0}));
  EXPECT_EQ(v(abs(a)), (std::vector<float>{1, 2, 3, 0}));
  EXPECT_EQ(v(add(a, f({10, 20}, {2}))), (std::vector<float>{11, 18, 13, 20}));
  EXPECT_EQ(v(mul(a, f({2, 3}, {2, 1}))), (std::vector<float>{2, -4, 9, 0}));
  EXPECT_EQ(v(clamp(a, -1, 1)), (std::vector<float>{1, -1, 1, 0}));
  EXPECT_EQ(v(maximum(a, Tensor::scalar(0.5))), (std::vector<float>{1, 0.5, 3, 0.5}));
  EXPECT_EQ(gt(a, 0.0).to_vector<uint8_t>(), (std::vector<uint8_t>{1, 0, 1, 0}));
  EXPECT_EQ(v(where(gt(a, 0.0), a, Tensor::scalar(-9))), (std::vector<float>{1, -9, 3, -9}));
  EXPECT_NEAR(v(sigmoid(f({0, 100, -100}, {3})))[0], 0.5f, 1e-7);
  EXPECT_EQ(v(sigmoid(f({-100}, {1})))[0], v(sigmoid(f({-100}, {1})))[0]);  // finite, not NaN
  EXPECT_NEAR(v(softplus(f({0}, {1})))[0], std::log(2.f), 1e-6);
  EXPECT_EQ(v(softplus(f({50}, {1})))[0], 50.f);  // linear above the threshold
  Tensor ints = Tensor::from_vector<int64_t>({1, 2, 3});
  EXPECT_EQ(add(ints, ints).to_vector<int64_t>(), (std::vector<int64_t>{2, 4, 6}));
}

TEST(Ops, ReductionValues) {
  Tensor a = f({1, 5, 3, 4, 2, 6}, {2, 3});
  EXPECT_EQ(v(sum(a, {0})), (std::vector<float>{5, 7, 9}));
  EXPECT_EQ(v(sum(a, {1}, true)), (std::vector<float>{9, 12}));
  EXPECT_EQ(sum(a, {1}, true).shape(), (Shape{2, 1}));
  EXPECT_EQ(v(mean(a)), (std::vector<float>{3.5f}));
  EXPECT_EQ(v(amax(a, {1})), (std::vector<float>{5, 6}));
  EXPECT_EQ(v(amin(a, {0})), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(argmax(a, 1).to_vector<int64_t>(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(argmin(a, 0).to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 0}));
  EXPECT_NEAR(v(var(f({1, 2, 3, 4}, {4})))[0], 1.25f, 1e-6);
  EXPECT_NEAR(v(var(f({1, 2, 3, 4}, {4}), {}, true))[0], 5.f / 3, 1e-6);
  EXPECT_NEAR(v(logsumexp(f({1000, 1000}, {2}), {0}))[0], 1000 + std::log(2.f), 1e-3);
  EXPECT_NEAR(v(norm(f({3, 4}, {2})))[0], 5.f, 1e-6);
  // Reducing a non-contiguous block (dims 0 and 2 of 3) matches a manual sum.
  Tensor b = Tensor::arange(0, 24).reshape({2, 3, 4});
  std::vector<float> s = v(sum(b, {0, 2}));
  EXPECT_EQ(
      s, (std::vector<float>{0 + 1 + 2 + 3 + 12 + 13 + 14 + 15, 4 + 5 + 6 + 7 + 16 + 17 + 18 + 19,
                             8 + 9 + 10 + 11 + 20 + 21 + 22 + 23}));
}

TEST(Ops, MatmulMatchesNaive) {
  Generator g(3);
  for (auto [m, k, n] : {std::tuple{1, 1, 1}, {7, 5, 3}, {64, 33, 17}}) {
    Tensor a = Tensor::randn({m, k}, g, DType::f64), b = Tensor::randn({k, n}, g, DType::f64);
    Tensor c = matmul(a, b);
    auto av = a.to_vector<double>(), bv = b.to_vector<double>(), cv = c.to_vector<double>();
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) {
        double acc = 0;
        for (int p = 0; p < k; ++p) acc += av[i * k + p] * bv[p * n + j];
        ASSERT_NEAR(cv[i * n + j], acc, 1e-10);
      }
    // Transposed operands reach gemm as flags and give the same product.
    std::vector<double> tv = matmul(a.t().contiguous().t(), b).to_vector<double>();
    for (size_t i = 0; i < cv.size(); ++i) ASSERT_NEAR(tv[i], cv[i], 1e-10);
  }
  Tensor batch = matmul(Tensor::ones({4, 2, 3}), Tensor::ones({3, 5}));
  EXPECT_EQ(batch.shape(), (Shape{4, 2, 5}));
  EXPECT_EQ(v(batch)[0], 3.f);
}

TEST(Ops, SoftmaxAndIndexValues) {
  Tensor x = f({1, 2, 3, 1, 1, 1}, {2, 3});
  std::vector<float> s = v(softmax(x, 1));
  EXPECT_NEAR(s[0] + s[1] + s[2], 1.f, 1e-6);
  EXPECT_NEAR(s[3], 1.f / 3, 1e-6);
  EXPECT_NEAR(v(log_softmax(x, 1))[2], 3 - std::log(std::exp(1.f) + std::exp(2.f) + std::exp(3.f)),
              1e-5);
  Tensor idx = Tensor::from_vector<int64_t>({2, 0});
  EXPECT_EQ(v(index_select(x, 1, idx)), (std::vector<float>{3, 1, 1, 1}));
  Tensor gi = Tensor::from_vector<int64_t>({2, 1}, {2, 1});
  EXPECT_EQ(v(gather(x, 1, gi)), (std::vector<float>{3, 1}));
  Tensor sa = scatter_add(Tensor::zeros({2, 3}), 1, gi, f({5, 7}, {2, 1}));
  EXPECT_EQ(v(sa), (std::vector<float>{0, 0, 5, 0, 7, 0}));
  EXPECT_EQ(v(one_hot(Tensor::from_vector<int64_t>({1, 0}), 3)),
            (std::vector<float>{0, 1, 0, 1, 0, 0}));
  EXPECT_EQ(v(concat({f({1}, {1, 1}), f({2, 3}, {1, 2})}, 1)), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(stack({f({1, 2}, {2}), f({3, 4}, {2})}, 1).shape(), (Shape{2, 2}));
  EXPECT_EQ(split(Tensor::arange(0, 5), 2, 0).size(), 3u);
  EXPECT_EQ(v(masked_fill(x, gt(x, 1.5), 0)), (std::vector<float>{1, 0, 0, 1, 1, 1}));
}

// Errors name the op and every shape involved.
void expect_error(const std::function<void()>& fn, std::vector<std::string> parts) {
  try {
    fn();
    FAIL() << "no error";
  } catch (const std::exception& e) {
    for (const std::string& p : parts)
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos)
          << "'" << e.what() << "' lacks " << p;
  }
}

TEST(Ops, ErrorsNameOpAndShapes) {
  Tensor a = Tensor::zeros({2, 3}), b = Tensor::zeros({4, 5});
  expect_error([&] { add(a, b); }, {"add", "[2, 3]", "[4, 5]"});
  expect_error([&] { matmul(a, b); }, {"matmul", "[2, 3]", "[4, 5]"});
  expect_error([&] { mul(a, Tensor::zeros({2, 3}, DType::f64)); }, {"mul", "f32", "f64"});
  expect_error([&] { a.view({7}); }, {"view", "[7]"});
  expect_error([&] { sum(a, {2}); }, {"sum", "dim 2"});
  expect_error([&] { concat({a, b}, 0); }, {"concat", "[2, 3]", "[4, 5]"});
  expect_error([&] { index_select(a, 0, Tensor::from_vector<int64_t>({5})); },
               {"index_select", "5", "[2, 3]"});
  expect_error([&] { a.expand({3, 3}); }, {"expand", "[2, 3]", "[3, 3]"});
  expect_error([&] { exp(Tensor::zeros({2}, DType::i64)); }, {"exp", "i64"});
}

}  // namespace
}  // namespace he
