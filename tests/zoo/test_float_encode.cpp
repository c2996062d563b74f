// Off-the-shelf descriptors (zoo/float_encode.h): the penultimate features and GeM of the conv
// map against their definitions written out here, and NetVLAD's k-means centres, which must
// be k-means fixed points of the map's unit local descriptors (each centre the mean of the
// descriptors nearest to it), for encode and for a float model's training start.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "zoo/encode.h"
#include "zoo/float_encode.h"
#include "zoo_test_util.h"

namespace he::zoo {
namespace {

std::shared_ptr<Backbone> small_net() {
  Generator g(3);
  BackboneSpec spec;
  spec.name = "small", spec.out = 8;
  auto net = make_backbone(spec, g, std::make_shared<Generator>(4));
  net->eval();
  return net;
}

// Rows of (N,D) f32 scaled to unit length, in double.
std::vector<double> unit_rows(const std::vector<double>& v, size_t n) {
  const size_t d = v.size() / n;
  std::vector<double> out(v);
  for (size_t i = 0; i < n; ++i) {
    double s = 0;
    for (size_t j = 0; j < d; ++j) s += v[i * d + j] * v[i * d + j];
    for (size_t j = 0; j < d; ++j) out[i * d + j] /= std::sqrt(s);
  }
  return out;
}

// The unit local descriptors of a (N,C,H,W) map: (N*H*W, C), image by image, row by row.
std::vector<std::vector<double>> local_descriptors(const Tensor& map) {
  const std::vector<float> m = map.contiguous().to_vector<float>();
  const int64_t n = map.size(0), c = map.size(1), hw = map.size(2) * map.size(3);
  std::vector<std::vector<double>> out;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t p = 0; p < hw; ++p) {
      std::vector<double> v(c);
      double s = 0;
      for (int64_t k = 0; k < c; ++k) v[k] = m[(i * c + k) * hw + p], s += v[k] * v[k];
      for (auto& x : v) x /= std::max(std::sqrt(s), 1e-12);
      out.push_back(v);
    }
  return out;
}

// Each centre (K,C) must be the mean of the descriptors nearest to it.
void expect_kmeans_fixed_point(const Tensor& centres, const std::vector<std::vector<double>>& x) {
  const int64_t k = centres.size(0), c = centres.size(1);
  const std::vector<float> cen = centres.contiguous().to_vector<float>();
  std::vector<std::vector<double>> sum(k, std::vector<double>(c, 0.0));
  std::vector<int64_t> count(k, 0);
  for (const auto& v : x) {
    int64_t best = 0;
    double best_d = INFINITY;
    for (int64_t j = 0; j < k; ++j) {
      double d = 0;
      for (int64_t t = 0; t < c; ++t) d += (v[t] - cen[j * c + t]) * (v[t] - cen[j * c + t]);
      if (d < best_d) best_d = d, best = j;
    }
    ++count[best];
    for (int64_t t = 0; t < c; ++t) sum[best][t] += v[t];
  }
  for (int64_t j = 0; j < k; ++j) {
    ASSERT_GT(count[j], 0) << "centre " << j << " has no descriptors";
    for (int64_t t = 0; t < c; ++t)
      ASSERT_NEAR(cen[j * c + t], sum[j][t] / count[j], 1e-4) << "centre " << j << " dim " << t;
  }
}

TEST(FloatEncode, PenultimateFeaturesAndGemFollowTheirDefinitions) {
  if (!test::have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const data::ImageSet& set = test::first_train_images(24);
  auto net = small_net();
  const Tensor x = images_tensor(set, 0, set.n);
  Tensor feats, map;
  {
    NoGradGuard ng;
    feats = net->features_of(x).contiguous(), map = net->feature_map(x).contiguous();
  }
  DescriptorOptions o;
  o.batch = 10;  // several batches
  const Tensor fc = backbone_descriptors(*net, set, set, o);
  ASSERT_EQ(fc.shape(), (Shape{24, 512}));
  const std::vector<float> f = feats.to_vector<float>();
  const std::vector<double> want_fc = unit_rows(std::vector<double>(f.begin(), f.end()), 24);
  const std::vector<float> got_fc = fc.to_vector<float>();
  for (size_t i = 0; i < want_fc.size(); ++i) ASSERT_NEAR(got_fc[i], want_fc[i], 1e-5) << i;

  // GeM, p = 3: (mean over positions of max(x, 1e-6)^3)^(1/3) per channel.
  o.pool = "gem";
  const Tensor gem = backbone_descriptors(*net, set, set, o);
  ASSERT_EQ(gem.shape(), (Shape{24, 64}));
  const std::vector<float> m = map.to_vector<float>();
  const size_t hw = static_cast<size_t>(map.size(2) * map.size(3));
  std::vector<double> want_gem(24 * 64);
  for (size_t i = 0; i < 24 * 64; ++i) {
    double s = 0;
    for (size_t p = 0; p < hw; ++p) s += std::pow(std::max(double(m[i * hw + p]), 1e-6), 3.0);
    want_gem[i] = std::cbrt(s / hw);
  }
  want_gem = unit_rows(want_gem, 24);
  const std::vector<float> got_gem = gem.to_vector<float>();
  for (size_t i = 0; i < want_gem.size(); ++i) ASSERT_NEAR(got_gem[i], want_gem[i], 1e-5) << i;
}

TEST(FloatEncode, NetVladCentresAreKMeansFixedPointsOfTheLocalDescriptors) {
  if (!test::have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const data::ImageSet& set = test::first_train_images(20);
  auto net = small_net();
  const Tensor x = images_tensor(set, 0, set.n);
  const Tensor centres = netvlad_kmeans_centres(*net, x, 4, 7);
  ASSERT_EQ(centres.shape(), (Shape{4, 64}));
  Tensor map;
  {
    NoGradGuard ng;
    map = net->feature_map(x);
  }
  expect_kmeans_fixed_point(centres, local_descriptors(map));

  // A float model with --pool netvlad starts from such centres (the trainer's fit_targets).
  ModelConfig cfg;
  cfg.bits = 16, cfg.pool = "netvlad";
  auto model = make_model("triplet", cfg);
  const std::string line = model->fit_targets(x);
  EXPECT_NE(line.find("k-means"), std::string::npos) << line;
  Tensor fitted;
  for (auto& [name, p] : model->named_parameters())
    if (name == "pool.centres") fitted = p.detach();
  ASSERT_TRUE(fitted.defined());
  {
    NoGradGuard ng;
    model->eval();
    map = model->backbone()->feature_map(x);
  }
  expect_kmeans_fixed_point(fitted, local_descriptors(map));
  EXPECT_EQ(make_model("siamese", ModelConfig{})->fit_targets(x), "");  // no NetVLAD: nothing
}

}  // namespace
}  // namespace he::zoo
