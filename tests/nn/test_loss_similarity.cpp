// Similarity matrices and hash centres.
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "engine/engine.h"
#include "losses/similarity.h"

namespace he {
namespace {

using Vec = std::vector<double>;

TEST(LossSimilarity, SingleLabelsInBatchAndCross) {
  Tensor y = Tensor::from_vector(std::vector<int64_t>{0, 2, 0});
  Tensor s = losses::similarity(y);
  EXPECT_EQ(s.dtype(), DType::f32);
  EXPECT_EQ(s.to_vector<float>(), (std::vector<float>{1, 0, 1, 0, 1, 0, 1, 0, 1}));
  Tensor db = Tensor::from_vector(std::vector<int64_t>{2, 1});
  EXPECT_EQ(losses::similarity(y, db, DType::f64).to_vector<double>(), (Vec{0, 0, 1, 0, 0, 0}));
}

TEST(LossSimilarity, MultiHotSharesAtLeastOneLabel) {
  Tensor q = Tensor::from_vector(Vec{1, 0, 1, 0, 1, 0, 0, 0, 0}, {3, 3});  // {0,2}, {1}, {}
  Tensor d = Tensor::from_vector(Vec{0, 0, 1, 1, 1, 0}, {2, 3});           // {2}, {0,1}
  EXPECT_EQ(losses::similarity(q, d, DType::f64).to_vector<double>(), (Vec{1, 1, 0, 1, 0, 0}));
  // u8 multi-hot works too; an item without labels is relevant to nothing, itself included.
  EXPECT_EQ(losses::similarity(q.to(DType::u8), DType::f64).to_vector<double>(),
            (Vec{1, 0, 0, 0, 1, 0, 0, 0, 0}));
  EXPECT_THROW(losses::similarity(q, Tensor::zeros({2, 4})), std::invalid_argument);
}

TEST(LossCenters, HadamardIsSylvester) {
  EXPECT_EQ(losses::hadamard(4, DType::f64).to_vector<double>(),
            (Vec{1, 1, 1, 1, 1, -1, 1, -1, 1, 1, -1, -1, 1, -1, -1, 1}));
  Tensor h = losses::hadamard(16, DType::f64);
  // Orthogonal rows: H H^T = n I.
  std::vector<double> g = matmul(h, h.t()).to_vector<double>();
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j) EXPECT_EQ(g[i * 16 + j], i == j ? 16.0 : 0.0);
  EXPECT_THROW(losses::hadamard(12), std::invalid_argument);
}

TEST(LossCenters, HadamardRowsThenNegationWhenTheyFit) {
  // 20 classes, 16 bits: rows of H16 then the first 4 rows of -H16 (protocol: 10 classes take
  // the first 10 rows).
  Tensor c = losses::hash_centers(20, 16, 0, DType::f64);
  ASSERT_EQ(c.shape(), (Shape{20, 16}));
  std::vector<double> h = losses::hadamard(16, DType::f64).to_vector<double>();
  std::vector<double> v = c.to_vector<double>();
  for (int r = 0; r < 20; ++r)
    for (int k = 0; k < 16; ++k)
      EXPECT_EQ(v[r * 16 + k], r < 16 ? h[r * 16 + k] : -h[(r - 16) * 16 + k]);
}

TEST(LossCenters, RandomRowsAreSeededAndFarApart) {
  for (auto [classes, bits] : {std::pair<int, int>{100, 16}, {10, 12}}) {
    Tensor c = losses::hash_centers(classes, bits, 7, DType::f64);
    EXPECT_EQ(c.to_vector<double>(),
              losses::hash_centers(classes, bits, 7, DType::f64).to_vector<double>());
    std::vector<double> v = c.to_vector<double>();
    for (double x : v) EXPECT_TRUE(x == 1.0 || x == -1.0);
    int min_dist = bits;
    for (int a = 0; a < classes; ++a)
      for (int b = a + 1; b < classes; ++b) {
        int d = 0;
        for (int k = 0; k < bits; ++k) d += v[a * bits + k] != v[b * bits + k];
        min_dist = std::min(min_dist, d);
      }
    EXPECT_GE(min_dist, bits / 4) << classes << "x" << bits;
  }
  EXPECT_NE(losses::hash_centers(100, 16, 1).to_vector<float>(),
            losses::hash_centers(100, 16, 2).to_vector<float>());
}

TEST(LossCenters, CentersForSingleAndMultiLabels) {
  Tensor c = Tensor::from_vector(Vec{1, 1, -1, 1, -1, 1, -1, -1, -1}, {3, 3});
  Tensor single = losses::centers_for_labels(c, Tensor::from_vector(std::vector<int64_t>{2, 0}));
  EXPECT_EQ(single.to_vector<double>(), (Vec{-1, -1, -1, 1, 1, -1}));
  // {0,1}: sum (2, 0, 0) -> (+1, +1, +1) (sign(0) = +1); {0,1,2}: (1,-1,-1).
  Tensor multi = losses::centers_for_labels(c, Tensor::from_vector(Vec{1, 1, 0, 1, 1, 1}, {2, 3}));
  EXPECT_EQ(multi.to_vector<double>(), (Vec{1, 1, 1, 1, -1, -1}));
  EXPECT_THROW(losses::centers_for_labels(c, Tensor::ones({2, 4})), std::invalid_argument);
}

}  // namespace
}  // namespace he
