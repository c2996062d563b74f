// Global pooling layers (MAC, SPoC, R-MAC, GeM, CroW, NetVLAD): values worked out by hand on
// small maps, and f64 finite-difference gradient checks of the input and every parameter.
#include <gtest/gtest.h>

#include <cmath>

#include "gradcheck.h"
#include "layers/layers.h"

namespace he::nn {
namespace {

using he::testing::gradcheck;
using he::testing::leaf;

::testing::AssertionResult check_layer(Module& m, Tensor x) {
  std::vector<Tensor> in{x};
  for (Tensor& p : m.parameters()) in.push_back(p);
  return gradcheck([&m](const std::vector<Tensor>& v) { return m.forward(v[0]); }, in);
}

void expect_values(const Tensor& got, const std::vector<double>& want, double tol = 1e-12) {
  std::vector<double> g = got.to_vector<double>();
  ASSERT_EQ(g.size(), want.size());
  for (size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], want[i], tol) << "element " << i;
}

// One image, two channels, 2x2: channel 0 = [[3,0],[0,1]], channel 1 = [[4,1],[0,0]].
Tensor small_map() { return Tensor::from_vector<double>({3, 0, 0, 1, 4, 1, 0, 0}, {1, 2, 2, 2}); }

TEST(GlobalPoolValue, MacAndSpoc) {
  expect_values(MacPool().forward(small_map()), {3, 4});
  expect_values(SpocPool().forward(small_map()), {1, 1.25});
}

TEST(GlobalPoolValue, RmacRegionsSquareAndWide) {
  // 2x2, two levels: the whole map, then four single pixels.
  EXPECT_EQ(rmac_regions(2, 2, 2),
            (std::vector<Region>{{0, 0, 2}, {0, 0, 1}, {0, 1, 1}, {1, 0, 1}, {1, 1, 1}}));
  // 3x5: two scale-1 regions of side 3 overlap by 1/3 (three would overlap by 2/3; 40% is
  // nearer 1/3), so the long side gets one extra region at every scale.
  EXPECT_EQ(
      rmac_regions(3, 5, 2),
      (std::vector<Region>{
          {0, 0, 3}, {0, 2, 3}, {0, 0, 2}, {0, 1, 2}, {0, 3, 2}, {1, 0, 2}, {1, 1, 2}, {1, 3, 2}}));
  EXPECT_EQ(rmac_regions(7, 7).size(), 1u + 4u + 9u);
  EXPECT_THROW(rmac_regions(0, 3), std::invalid_argument);
}

TEST(GlobalPoolValue, RmacSumsNormalisedRegionMaxima) {
  // Regions' maxima: whole (3,4) -> (.6,.8); pixels (3,4) -> (.6,.8), (0,1) -> (0,1),
  // (0,0) -> (0,0), (1,0) -> (1,0). Sum: (2.2, 2.6).
  expect_values(RmacPool(2).forward(small_map()), {2.2, 2.6});
}

TEST(GlobalPoolValue, Gem) {
  GeM gem(3.0, 1e-6, DType::f64);
  // ((1 + 8) / 2)^(1/3) and ((27 + 64) / 2)^(1/3)
  expect_values(gem.forward(Tensor::from_vector<double>({1, 2, 3, 4}, {1, 2, 1, 2})),
                {std::cbrt(4.5), std::cbrt(45.5)});
}

TEST(GlobalPoolValue, Crow) {
  // Channel 0 = [1, 3], channel 1 = [0, 1] on a 1x2 map. S = [1, 4], ||S|| = sqrt(17),
  // spatial weights sqrt(1/sqrt(17)) and sqrt(4/sqrt(17)); non-zero fractions Q = (1, 1/2),
  // channel weights log(1.5 / (1 + eps)) and log(1.5 / (0.5 + eps)).
  const double eps = 1e-6, r = std::sqrt(17.0);
  const double w1 = std::sqrt(1 / r), w2 = std::sqrt(4 / r);
  Tensor x = Tensor::from_vector<double>({1, 3, 0, 1}, {1, 2, 1, 2});
  expect_values(CrowPool(eps).forward(x), {(1 * w1 + 3 * w2) * std::log(1.5 / (1 + eps)),
                                           (0 * w1 + 1 * w2) * std::log(1.5 / (0.5 + eps))});
}

TEST(GlobalPoolValue, NetVlad) {
  // Centres (1,0) and (0,1), zero assignment weights: every position splits 1/2 - 1/2.
  // Positions (1,0) and (0,2) -> unit (1,0), (0,1). V_0 = .5 (0,0) + .5 (-1,1),
  // V_1 = .5 (1,-1) + .5 (0,0); each to unit length, then the whole to unit length.
  Generator g(1);
  NetVladPool vlad(2, 2, g, 10.0, DType::f64);
  vlad.centres.copy_(Tensor::from_vector<double>({1, 0, 0, 1}, {2, 2}));
  vlad.weight.fill_(0);
  vlad.bias.fill_(0);
  Tensor x = Tensor::from_vector<double>({1, 0, 0, 2}, {1, 2, 1, 2});
  expect_values(vlad.forward(x), {-0.5, 0.5, 0.5, -0.5});
  // The paper's initialisation: w = 2 alpha c, b = -alpha ||c||^2.
  vlad.init_from_centres(Tensor::from_vector<double>({1, 2, 0, 3}, {2, 2}));
  expect_values(vlad.weight, {20, 40, 0, 60});
  expect_values(vlad.bias, {-50, -90});
  EXPECT_THROW(vlad.forward(Tensor::zeros({1, 3, 2, 2}, DType::f64)), std::invalid_argument);
}

TEST(GlobalPoolGrad, MacSpocRmac) {
  MacPool mac;
  EXPECT_TRUE(check_layer(mac, leaf({2, 3, 4, 5}, 2)));
  SpocPool spoc;
  EXPECT_TRUE(check_layer(spoc, leaf({2, 3, 4, 5}, 3)));
  RmacPool rmac;
  EXPECT_TRUE(check_layer(rmac, leaf({2, 3, 4, 6}, 4)));
}

TEST(GlobalPoolGrad, GemCrowNetVlad) {
  GeM gem(2.5, 1e-6, DType::f64);
  EXPECT_TRUE(check_layer(gem, leaf({2, 3, 3, 4}, 5, 0.1, 1.0)));
  CrowPool crow;
  EXPECT_TRUE(check_layer(crow, leaf({2, 3, 3, 4}, 6)));  // some negatives: the clamp at 0
  Generator g(7);
  NetVladPool vlad(3, 4, g, 2.0, DType::f64);
  EXPECT_TRUE(check_layer(vlad, leaf({2, 4, 3, 2}, 8)));
}

TEST(GlobalPool, FactoryAndShapes) {
  Generator g(1);
  Tensor x = Tensor::randn({2, 6, 5, 7}, g);
  for (std::string k : {"mac", "spoc", "rmac", "gem", "crow", "netvlad"}) {
    auto pool = make_global_pool(k, 6, g, 4);
    EXPECT_EQ(pool->forward(x).shape(), (Shape{2, global_pool_dim(k, 6, 4)})) << k;
  }
  EXPECT_THROW(make_global_pool("sum", 6, g), std::invalid_argument);
  EXPECT_THROW(MacPool().forward(Tensor::zeros({2, 3})), std::invalid_argument);
}

}  // namespace
}  // namespace he::nn
