#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "engine/data/loader.h"
#include "engine/data/sampling.h"

namespace he::data {
namespace {

// n grey 8x8 images, image i filled with i % 256, label i % classes.
ImageSet toy(int64_t n, int64_t classes = 10) {
  ImageSet s;
  s.n = n, s.c = 1, s.h = 8, s.w = 8, s.num_classes = classes;
  for (int64_t i = 0; i < n; ++i) {
    s.pixels.insert(s.pixels.end(), 64, static_cast<uint8_t>(i % 256));
    s.labels.push_back(i % classes);
  }
  return s;
}

LoaderOptions augmenting(int workers) {
  LoaderOptions o;
  o.batch_size = 32;
  o.workers = workers;
  o.seed = 7;
  o.transform.random_crop_h = o.transform.random_crop_w = 8;
  o.transform.crop_padding = 2;
  o.transform.random_hflip = true;
  o.transform.mean = {0.2860f};
  o.transform.std = {0.3530f};
  return o;
}

std::vector<Batch> run_epoch(Loader& loader, int64_t epoch) {
  std::vector<Batch> out;
  loader.start_epoch(epoch);
  while (std::optional<Batch> b = loader.next()) out.push_back(std::move(*b));
  return out;
}

void expect_same(const std::vector<Batch>& a, const std::vector<Batch>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].indices, b[i].indices) << "batch " << i;
    EXPECT_EQ(a[i].labels, b[i].labels) << "batch " << i;
    EXPECT_EQ(a[i].images, b[i].images) << "batch " << i;  // bit-exact
  }
}

TEST(Loader, SameBatchesWhateverTheWorkerCount) {
  ImageSet data = toy(1000);
  Loader l0(data, augmenting(0)), l1(data, augmenting(1)), l3(data, augmenting(3));
  for (int64_t epoch : {0, 1}) {
    std::vector<Batch> a = run_epoch(l1, epoch), b = run_epoch(l3, epoch), c = run_epoch(l0, epoch);
    expect_same(a, b);
    expect_same(a, c);
  }
}

TEST(Loader, EpochIsAPermutationWithMatchingLabels) {
  ImageSet data = toy(1000);
  Loader loader(data, augmenting(2));
  std::vector<Batch> e0 = run_epoch(loader, 0), e1 = run_epoch(loader, 1);
  ASSERT_EQ(e0.size(), 32u);  // 31 x 32 + 8
  EXPECT_EQ(e0.back().b, 8);
  std::vector<int64_t> seen;
  for (const Batch& b : e0) {
    EXPECT_EQ(b.c, 1);
    EXPECT_EQ(b.h, 8);
    EXPECT_EQ(static_cast<int64_t>(b.images.size()), b.b * 64);
    for (int64_t r = 0; r < b.b; ++r) EXPECT_EQ(b.labels[r], b.indices[r] % 10);
    seen.insert(seen.end(), b.indices.begin(), b.indices.end());
  }
  std::vector<int64_t> sorted = seen;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(sorted[i], i);
  EXPECT_NE(e0[0].indices, e1[0].indices);  // reshuffled per epoch
  std::vector<Batch> again = run_epoch(loader, 0);
  expect_same(e0, again);
}

TEST(Loader, ResumesAnEpochFromABatchIndex) {
  ImageSet data = toy(300);
  Loader loader(data, augmenting(2));
  std::vector<Batch> full = run_epoch(loader, 4);
  loader.start_epoch(4, 7);
  std::vector<Batch> rest;
  while (std::optional<Batch> b = loader.next()) rest.push_back(std::move(*b));
  expect_same(std::vector<Batch>(full.begin() + 7, full.end()), rest);
  EXPECT_THROW(loader.start_epoch(0, 11), std::runtime_error);
}

TEST(Loader, DropLastAndNoShuffle) {
  ImageSet data = toy(100);
  LoaderOptions o;
  o.batch_size = 30;
  o.drop_last = true;
  o.shuffle = false;
  Loader loader(data, o);
  std::vector<Batch> e = run_epoch(loader, 0);
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[1].indices.front(), 30);
  EXPECT_FLOAT_EQ(e[1].images[0], 30 / 255.0f);
}

TEST(Loader, DestroyedMidEpochAndErrors) {
  ImageSet data = toy(5000);
  for (int i = 0; i < 5; ++i) {
    Loader loader(data, augmenting(3));
    loader.start_epoch(0);
    ASSERT_TRUE(loader.next().has_value());
    loader.start_epoch(1);  // abandons epoch 0 mid-way
    ASSERT_TRUE(loader.next().has_value());
  }  // destroyed with workers blocked on a full queue
  Loader fresh(data, augmenting(1));
  EXPECT_THROW(fresh.next(), std::runtime_error);
  LoaderOptions bad = augmenting(1);
  bad.transform.random_crop_h = 20;  // larger than 8 + 2 * 2
  EXPECT_THROW(Loader(data, bad), std::runtime_error);
}

TEST(Sampling, TripletsAreBalancedAndDeterministic) {
  std::vector<int64_t> labels = {0, 1, 2, 0, 1, 2, 0, 3};
  std::vector<int64_t> anchors = {0, 1, 2, 3, 4, 5, 6, 7};
  Generator g1(5), g2(5);
  std::vector<Triplet> t = sample_triplets(labels, anchors, g1);
  std::vector<Triplet> u = sample_triplets(labels, anchors, g2);
  ASSERT_EQ(t.size(), anchors.size());
  for (size_t i = 0; i < t.size(); ++i) {
    EXPECT_EQ(t[i].positive, u[i].positive);
    EXPECT_EQ(t[i].negative, u[i].negative);
    EXPECT_EQ(labels[t[i].positive], labels[t[i].anchor]);
    EXPECT_NE(labels[t[i].negative], labels[t[i].anchor]);
    if (t[i].anchor != 7) {  // class 3 is a singleton
      EXPECT_NE(t[i].positive, t[i].anchor);
    }
  }
  std::vector<Pair> p = sample_pairs(labels, anchors, g1);
  ASSERT_EQ(p.size(), 16u);
  int similar = 0;
  for (const Pair& q : p) similar += q.similar;
  EXPECT_EQ(similar, 8);
  // Over many draws every other-class item shows up as a negative of anchor 0.
  std::set<int64_t> negs;
  Generator g3(9);
  for (const Triplet& x : sample_triplets(labels, std::vector<int64_t>(400, 0), g3))
    negs.insert(x.negative);
  EXPECT_EQ(negs, (std::set<int64_t>{1, 2, 4, 5, 7}));
  EXPECT_THROW(sample_triplets({1, 1}, {0}, g3), std::runtime_error);
}

TEST(Sampling, MultiHotTripletsShareOrAvoidLabels) {
  // 5 items x 3 labels: 0 {0,1}, 1 {1}, 2 {2}, 3 {0}, 4 {} (shares nothing with anyone).
  const std::vector<uint8_t> mh = {1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0};
  Generator g(1), h(1);
  std::vector<int64_t> anchors;
  for (int r = 0; r < 40; ++r) anchors.push_back(r % 5);
  std::vector<Triplet> t = sample_triplets_multi_hot(mh, 3, anchors, g);
  std::vector<Triplet> u = sample_triplets_multi_hot(mh, 3, anchors, h);
  std::set<int64_t> pos0;
  for (size_t i = 0; i < t.size(); ++i) {
    const Triplet& x = t[i];
    EXPECT_EQ(x.positive, u[i].positive);
    EXPECT_EQ(x.negative, u[i].negative);
    auto share = [&](int64_t a, int64_t b) {
      for (int k = 0; k < 3; ++k)
        if (mh[a * 3 + k] && mh[b * 3 + k]) return true;
      return false;
    };
    EXPECT_FALSE(share(x.anchor, x.negative));
    if (x.anchor == 2 || x.anchor == 4) {
      EXPECT_EQ(x.positive, x.anchor);  // nothing else shares a label
    } else {
      EXPECT_NE(x.positive, x.anchor);
      EXPECT_TRUE(share(x.anchor, x.positive));
    }
    if (x.anchor == 0) pos0.insert(x.positive);
  }
  EXPECT_EQ(pos0, (std::set<int64_t>{1, 3}));
  EXPECT_THROW(sample_triplets_multi_hot({1, 1}, 1, {0}, g), std::runtime_error);
  EXPECT_THROW(sample_triplets_multi_hot({1, 1, 1}, 2, {0}, g), std::runtime_error);
}

}  // namespace
}  // namespace he::data
