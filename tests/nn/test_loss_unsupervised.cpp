// The unsupervised and semi-supervised hashing losses: values against plain loops computed
// here, and a double-precision finite-difference check of each gradient.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "gradcheck.h"
#include "losses/unsupervised.h"

namespace he {
namespace {

using Vec = std::vector<double>;
using testing::gradcheck;
using testing::leaf;
using In = std::vector<Tensor>;

double value(const Tensor& t) { return t.item_double(); }

struct Mat {
  int r, c;
  Vec v;
  double operator()(int i, int j) const { return v[i * c + j]; }
  Tensor t() const { return Tensor::from_vector(v, {r, c}); }
};
double sq_dist(const Mat& a, int i, const Mat& b, int j) {
  double s = 0;
  for (int k = 0; k < a.c; ++k) s += (a(i, k) - b(j, k)) * (a(i, k) - b(j, k));
  return s;
}
double cosine(const Mat& a, int i, int j) {
  double d = 0, ni = 0, nj = 0;
  for (int k = 0; k < a.c; ++k)
    d += a(i, k) * a(j, k), ni += a(i, k) * a(i, k), nj += a(j, k) * a(j, k);
  return ni == 0 || nj == 0 ? 0.0 : d / std::sqrt(ni * nj);
}

// Sigmoid activations of 4 images, 3 bits; one entry exactly 1/2 (its bit is 1).
const Mat kP = {4, 3, {0.9, 0.2, 0.5, 0.7, 0.4, 0.1, 0.3, 0.8, 0.6, 0.95, 0.35, 0.05}};
// Real-valued codes of 5 images, 3 bits.
const Mat kH = {
    5, 3, {0.5, -1.2, 0.3, 0.8, -0.4, 0.1, -0.6, 0.9, 1.1, -0.2, -0.7, 0.4, 0.2, 0.3, -0.5}};

TEST(LossUnsupervised, DeepBitTerms) {
  double quant = 0;
  for (double p : kP.v) {
    const double b = p >= 0.5 ? 1.0 : 0.0;
    quant += (b - p) * (b - p) / kP.v.size();
  }
  EXPECT_NEAR(value(losses::binary_quantization_loss(kP.t())), quant, 1e-12);
  // The bit of p = 1/2 is 1: it costs (1 - 1/2)^2.
  EXPECT_NEAR(value(losses::binary_quantization_loss(Tensor::from_vector(Vec{0.5}, {1, 1}))), 0.25,
              1e-12);

  double even = 0;
  for (int k = 0; k < 3; ++k) {
    double m = 0;
    for (int i = 0; i < 4; ++i) m += kP(i, k) / 4;
    even += (m - 0.5) * (m - 0.5) / 3;
  }
  EXPECT_NEAR(value(losses::even_distribution_loss(kP.t())), even, 1e-12);
}

TEST(LossUnsupervised, BitEntropy) {
  double l = 0;
  for (int k = 0; k < 3; ++k) {
    double q = 0;
    for (int i = 0; i < 4; ++i) q += kP(i, k) / 4;
    l += (1 + (q * std::log(q) + (1 - q) * std::log(1 - q)) / std::log(2.0)) / 3;
  }
  EXPECT_NEAR(value(losses::bit_entropy_loss(kP.t())), l, 1e-12);
  // Balanced bits cost 0, a constant bit 1 (its frequency clamped away from 0 and 1).
  const Mat balanced = {2, 2, {1, 0, 0, 1}};
  EXPECT_NEAR(value(losses::bit_entropy_loss(balanced.t())), 0.0, 1e-12);
  EXPECT_NEAR(value(losses::bit_entropy_loss(Tensor::ones({3, 1}, DType::f64))), 1.0, 1e-5);
}

// DVB by hand: B = 2 images of 2 pixels, 2 bits.
//   rec: x' - x = [[1, 0], [0, 1]], 1/2 * 2 / B = 0.5;
//   KL per element 1/2 (e^lv - lv + (mu - c)^2 - 1): 0.125, 1 - ln2/2, 0, 0.5; / B;
//   quantisation: (mu - sign(mu))^2 = 0.25, 1, 1 (sign(0) = +1), 0; sum 2.25 / B.
TEST(LossUnsupervised, DvbByHand) {
  const Mat rec = {2, 2, {1, 0, 0.5, 2}}, x = {2, 2, {0, 0, 0.5, 1}};
  const Mat mu = {2, 2, {0.5, -2, 0, 1}}, lv = {2, 2, {0, std::log(2.0), 0, 0}};
  const Mat c = {2, 2, {1, -1, 0, 0}};
  const double kl = (0.125 + 1 - std::log(2.0) / 2 + 0 + 0.5) / 2, quant = 2.25 / 2;
  EXPECT_NEAR(value(losses::dvb_loss(rec.t(), x.t(), mu.t(), lv.t(), c.t())), 0.5 + kl + quant,
              1e-12);
  EXPECT_NEAR(value(losses::dvb_loss(rec.t(), x.t(), mu.t(), lv.t(), c.t(), 2.0, 0.5)),
              0.5 + 2 * kl + 0.5 * quant, 1e-12);
  // A perfect reconstruction with mu = c = sign(mu) and unit variance costs nothing.
  const Mat pm = {1, 2, {1, -1}}, one = {1, 2, {0.3, 0.7}};
  EXPECT_NEAR(
      value(losses::dvb_loss(one.t(), one.t(), pm.t(), Tensor::zeros({1, 2}, DType::f64), pm.t())),
      0.0, 1e-12);
  EXPECT_THROW(losses::dvb_loss(rec.t(), x.t(), mu.t(), lv.t(), pm.t()), std::invalid_argument);
}

TEST(LossUnsupervised, TripletHinge) {
  const Mat a = {2, 2, {0, 0, 1, 1}}, p = {2, 2, {1, 0, 1, 1}}, n = {2, 2, {0, 2, 3, 1}};
  // Row 0: 1 + 1 - 4 < 0 -> 0. Row 1: 1 + 0 - 4 < 0 -> 0 with margin 1; margin 5: 5 - 4 = 1.
  EXPECT_NEAR(value(losses::triplet_hinge(a.t(), p.t(), n.t(), 1.0)), 0.0, 1e-12);
  EXPECT_NEAR(value(losses::triplet_hinge(a.t(), p.t(), n.t(), 5.0)), (2.0 + 1.0) / 2, 1e-12);
  EXPECT_THROW(losses::triplet_hinge(a.t(), p.t(), Tensor::ones({2, 3}, DType::f64), 1.0),
               std::invalid_argument);
}

TEST(LossUnsupervised, CosineStructure) {
  const Mat f = {
      5, 4, {1, 0, 2, 0, 0, 1, 0, 1, 1, 1, 1, 1, -1, 0, 1, 2, 0, 0, 0, 0}};  // last row 0
  double l = 0;
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j) {
      const double d = cosine(kH, i, j) - cosine(f, i, j);
      l += d * d / 25;
    }
  EXPECT_NEAR(value(losses::cosine_structure_loss(kH.t(), f.t())), l, 1e-12);
  // The target scaled: mean (cos h - 0.4 cos f)^2.
  double scaled = 0;
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j) {
      const double d = cosine(kH, i, j) - 0.4 * cosine(f, i, j);
      scaled += d * d / 25;
    }
  EXPECT_NEAR(value(losses::cosine_structure_loss(kH.t(), f.t(), 0.4)), scaled, 1e-12);
  EXPECT_GT(std::abs(scaled - l), 1e-3);
  EXPECT_THROW(losses::cosine_structure_loss(kH.t(), Tensor::ones({4, 4}, DType::f64)),
               std::invalid_argument);
  EXPECT_THROW(losses::cosine_structure_loss(kH.t(), f.t(), 0.0), std::invalid_argument);
  EXPECT_THROW(losses::cosine_structure_loss(kH.t(), f.t(), 1.5), std::invalid_argument);
}

TEST(LossUnsupervised, SimilarityMatching) {
  const Mat t = {
      5, 5, {1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0.5, 0, 0, 1, 1, 0, 0, 0, 0.5, 0, 1}};
  double l = 0;
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j) {
      const double d = cosine(kH, i, j) - t(i, j);
      l += d * d / 25;
    }
  EXPECT_NEAR(value(losses::similarity_matching_loss(kH.t(), t.t())), l, 1e-12);
  // Codes in {-1,+1}: the cosine is 1 - 2 d_H / bits. Two codes 1 bit apart of 4, target 1/2.
  const Mat b = {2, 4, {1, 1, -1, 1, 1, -1, -1, 1}}, half = {2, 2, {1, 0.5, 0.5, 1}};
  EXPECT_NEAR(value(losses::similarity_matching_loss(b.t(), half.t())), 0.0, 1e-12);
  EXPECT_THROW(losses::similarity_matching_loss(kH.t(), Tensor::ones({4, 4}, DType::f64)),
               std::invalid_argument);
}

TEST(LossUnsupervised, BinarisedRepresentationEntropy) {
  const double eps = 0.1;
  Mat s = kH;
  for (double& v : s.v) v = v / (std::abs(v) + eps);
  double me = 0, ac = 0;
  for (int k = 0; k < 3; ++k) {
    double m = 0;
    for (int i = 0; i < 5; ++i) m += s(i, k) / 5;
    me += m * m / 3;
  }
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j) {
      if (i == j) continue;
      double d = 0;
      for (int k = 0; k < 3; ++k) d += s(i, k) * s(j, k);
      ac += std::abs(d) / 3 / 20;
    }
  EXPECT_NEAR(value(losses::bre_loss(kH.t(), eps)), me + ac, 1e-12);
  // Activations far from 0 (s = +-1000/1000.1). Two opposite codes: balanced bits (ME = 0) but
  // fully anti-correlated codes (AC = 1).
  const Mat opposite = {2, 2, {1e3, 1e3, -1e3, -1e3}};
  EXPECT_NEAR(value(losses::bre_loss(opposite.t(), eps)), 1.0, 1e-3);
  // Two orthogonal codes sharing their first bit: ME = (1^2 + 0^2) / 2, AC = 0.
  const Mat orthogonal = {2, 2, {1e3, -1e3, 1e3, 1e3}};
  EXPECT_NEAR(value(losses::bre_loss(orthogonal.t(), eps)), 0.5, 1e-3);
  EXPECT_THROW(losses::bre_loss(Tensor::ones({1, 3}, DType::f64), eps), std::invalid_argument);
}

TEST(LossUnsupervised, RankingTripletsSkipUnlabelled) {
  // Items 0, 1 share label 3, item 2 has label 1, item 3 label 3, item 4 is unlabelled.
  const std::vector<int64_t> y = {3, 3, 1, 3, -1};
  const double m = 2.0;
  double l = 0;
  int count = 0;
  for (int a = 0; a < 5; ++a)
    for (int p = 0; p < 5; ++p)
      for (int n = 0; n < 5; ++n) {
        if (y[a] < 0 || y[p] < 0 || y[n] < 0 || p == a || y[p] != y[a] || y[n] == y[a]) continue;
        l += std::max(0.0, m + sq_dist(kH, a, kH, p) - sq_dist(kH, a, kH, n));
        ++count;
      }
  ASSERT_EQ(count, 6);  // anchors 0, 1, 3: two positives each, one negative (item 2)
  EXPECT_NEAR(value(losses::ranking_triplet_loss(kH.t(), Tensor::from_vector(y), m)), l / count,
              1e-12);
  // No triplet without a second label: 0.
  EXPECT_EQ(value(losses::ranking_triplet_loss(
                kH.t(), Tensor::from_vector(std::vector<int64_t>{0, 0, -1, -1, 0}), m)),
            0.0);
}

TEST(LossUnsupervised, RankingTripletsAgainstABank) {
  // Anchors: kH rows 0..2 with labels 0, 1, -1; bank of 6 rows with labels (-1 excluded).
  const Mat bank = {6,
                    3,
                    {0.1, -1.0, 0.2, 0.7, 0.3, -0.2, 0.9, -0.5, 0.0, -0.4, 1.0, 0.8, 0.0, 0.0, 0.0,
                     0.5, -1.1, 0.4}};
  const std::vector<int64_t> y = {0, 1, -1}, yb = {0, 1, 0, 2, -1, 1};
  const Mat h = {3, 3, Vec(kH.v.begin(), kH.v.begin() + 9)};
  for (double m : {0.5, 2.0, 10.0}) {
    double l = 0;
    int count = 0;
    for (int a = 0; a < 3; ++a)
      for (int p = 0; p < 6; ++p)
        for (int n = 0; n < 6; ++n) {
          if (y[a] < 0 || yb[p] != y[a] || yb[n] < 0 || yb[n] == y[a]) continue;
          l += std::max(0.0, m + sq_dist(h, a, bank, p) - sq_dist(h, a, bank, n));
          ++count;
        }
    ASSERT_EQ(count, 2 * 3 + 2 * 3);  // anchor 0: 2 positives x 3 negatives; anchor 1 too
    EXPECT_NEAR(value(losses::ranking_triplet_bank_loss(h.t(), Tensor::from_vector(y), bank.t(),
                                                        Tensor::from_vector(yb), m)),
                l / count, 1e-12)
        << "margin " << m;
  }
  // No negative in the bank: 0.
  EXPECT_EQ(value(losses::ranking_triplet_bank_loss(
                h.t(), Tensor::from_vector(std::vector<int64_t>{0, 0, -1}), bank.t(),
                Tensor::from_vector(std::vector<int64_t>{0, -1, 0, -1, -1, -1}), 1.0)),
            0.0);
  EXPECT_THROW(losses::ranking_triplet_bank_loss(h.t(), Tensor::from_vector(y),
                                                 Tensor::ones({6, 2}, DType::f64),
                                                 Tensor::from_vector(yb), 1.0),
               std::invalid_argument);
}

TEST(LossUnsupervised, NeighbourEmbeddingAndKnnGraph) {
  // Features: 0 and 1 point the same way, 2 and 3 too, 4 halfway.
  const Mat f = {5, 2, {1, 0, 2, 0.1, 0, 1, 0.1, 3, 1, 1.2}};
  Tensor w = losses::knn_graph(f.t(), 1);
  // Nearest by cosine: 0 <-> 1, 2 <-> 3, and 4 -> 3 (0.79, against 0.77 for 2).
  std::vector<double> wv = w.to_vector<double>();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(wv[i * 5 + i], 0.0);
    for (int j = 0; j < 5; ++j) EXPECT_EQ(wv[i * 5 + j], wv[j * 5 + i]);
  }
  EXPECT_EQ(wv[0 * 5 + 1], 1.0);
  EXPECT_EQ(wv[2 * 5 + 3], 1.0);
  EXPECT_EQ(wv[0 * 5 + 2], 0.0);
  int best = -1;
  for (int j = 0; j < 4; ++j)
    if (best < 0 || cosine(f, 4, j) > cosine(f, 4, best)) best = j;
  EXPECT_EQ(wv[4 * 5 + best], 1.0);
  double row4 = 0;
  for (int j = 0; j < 5; ++j) row4 += wv[4 * 5 + j];
  EXPECT_EQ(row4, 1.0);  // 4 is nobody else's nearest

  const double m = 1.5;
  double l = 0;
  for (int i = 0; i < 5; ++i)
    for (int j = 0; j < 5; ++j) {
      if (i == j) continue;
      const double d = sq_dist(kH, i, kH, j);
      l += (wv[i * 5 + j] * d + (1 - wv[i * 5 + j]) * std::max(0.0, m - d)) / 20;
    }
  EXPECT_NEAR(value(losses::neighbour_embedding_loss(kH.t(), w, m)), l, 1e-12);
  EXPECT_THROW(losses::neighbour_embedding_loss(kH.t(), Tensor::ones({4, 4}, DType::f64), m),
               std::invalid_argument);
}

struct GradCase {
  std::string name;
  std::function<In()> inputs;
  testing::Fn f;
};

std::vector<GradCase> grad_cases() {
  // Activations in (0.05, 0.95), away from the threshold's jump at 1/2 by construction of the
  // finite differences (eps 1e-6).
  auto probs = [] { return In{leaf({6, 4}, 21, 0.05, 0.95)}; };
  Generator g(3);
  const Tensor feats = Tensor::randn({6, 5}, g, DType::f64);
  const Tensor y = Tensor::from_vector(std::vector<int64_t>{0, 1, 0, -1, 1, 0});
  const Tensor w = losses::knn_graph(feats, 2);
  const Tensor bank = Tensor::uniform({7, 4}, -1, 1, g, DType::f64);
  const Tensor yb = Tensor::from_vector(std::vector<int64_t>{1, 0, -1, 0, 1, 1, 0});
  return {
      {"binary_quantization", probs,
       [](const In& x) { return losses::binary_quantization_loss(x[0]); }},
      {"even_distribution", probs,
       [](const In& x) { return losses::even_distribution_loss(x[0]); }},
      {"bit_entropy", probs, [](const In& x) { return losses::bit_entropy_loss(x[0]); }},
      {"triplet_hinge",
       [] {
         return In{leaf({5, 3}, 1), leaf({5, 3}, 2), leaf({5, 3}, 3)};
       },
       [](const In& x) { return losses::triplet_hinge(x[0], x[1], x[2], 1.0); }},
      {"cosine_structure",
       [] {
         return In{leaf({6, 4}, 22)};
       },
       [feats](const In& x) { return losses::cosine_structure_loss(x[0], feats); }},
      {"cosine_structure_scaled",
       [] {
         return In{leaf({6, 4}, 23)};
       },
       [feats](const In& x) { return losses::cosine_structure_loss(x[0], feats, 0.5); }},
      {"similarity_matching",
       [] {
         return In{leaf({6, 4}, 26)};
       },
       [w](const In& x) {
         return losses::similarity_matching_loss(x[0], add(w, Tensor::ones({6, 6}, DType::f64)));
       }},
      {"bre",
       [] {
         return In{leaf({6, 4}, 27)};
       },
       [](const In& x) { return losses::bre_loss(x[0], 0.5); }},
      {"ranking_triplet",
       [] {
         return In{leaf({6, 4}, 23)};
       },
       [y](const In& x) { return losses::ranking_triplet_loss(x[0], y, 2.0); }},
      {"ranking_triplet_bank",
       [] {
         return In{leaf({6, 4}, 25)};
       },
       [y, bank, yb](const In& x) {
         return losses::ranking_triplet_bank_loss(x[0], y, bank, yb, 1.5);
       }},
      {"neighbour_embedding",
       [] {
         return In{leaf({6, 4}, 24)};
       },
       [w](const In& x) { return losses::neighbour_embedding_loss(x[0], w, 2.0); }},
      {"dvb",
       [] {
         return In{leaf({3, 5}, 26), leaf({3, 4}, 27), leaf({3, 4}, 28)};
       },
       [x = Tensor::randn({3, 5}, g, DType::f64), c = Tensor::randn({3, 4}, g, DType::f64)](
           const In& in) { return losses::dvb_loss(in[0], x, in[1], in[2], c, 0.7, 1.3); }},
  };
}

class LossUnsupervisedGrad : public ::testing::TestWithParam<GradCase> {};

TEST_P(LossUnsupervisedGrad, MatchesFiniteDifferences) {
  const GradCase& c = GetParam();
  In inputs = c.inputs();
  EXPECT_GT(std::abs(c.f(inputs).item_double()), 1e-6) << c.name;  // a 0 loss checks nothing
  EXPECT_TRUE(gradcheck(c.f, inputs)) << c.name;
}

INSTANTIATE_TEST_SUITE_P(All, LossUnsupervisedGrad, ::testing::ValuesIn(grad_cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace he
