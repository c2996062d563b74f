#include <gtest/gtest.h>

#include <cmath>

#include "engine/data/transforms.h"

namespace he::data {
namespace {

// (c=2, h=3, w=4) with value 100 k + 10 y + x.
std::vector<float> ramp() {
  std::vector<float> v;
  for (int k = 0; k < 2; ++k)
    for (int y = 0; y < 3; ++y)
      for (int x = 0; x < 4; ++x) v.push_back(100.0f * k + 10.0f * y + x);
  return v;
}

TEST(Transforms, FlipOfAKnownImage) {
  std::vector<float> v = ramp();
  hflip(v.data(), 2, 3, 4);
  EXPECT_EQ(v[0], 3);
  EXPECT_EQ(v[3], 0);
  EXPECT_EQ(v[12 + 4 + 1], 100 + 10 + 2);
  hflip(v.data(), 2, 3, 4);
  EXPECT_EQ(v, ramp());
}

TEST(Transforms, CropWithPaddingFillsZeros) {
  std::vector<float> v = ramp(), out(2 * 3 * 4, -1.0f);
  crop(v.data(), 2, 3, 4, -1, -2, 3, 4, out.data());  // window shifted up 1, left 2
  const std::vector<float> want0 = {0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 10, 11};
  EXPECT_EQ(std::vector<float>(out.begin(), out.begin() + 12), want0);
  EXPECT_EQ(out[12 + 2 * 4 + 3], 100 + 10 + 1);
  crop(v.data(), 2, 3, 4, 1, 1, 2, 2, out.data());  // interior centre crop
  EXPECT_EQ(out[0], 11);
  EXPECT_EQ(out[3], 22);
  EXPECT_EQ(out[4], 111);
  crop(v.data(), 2, 3, 4, 2, 3, 2, 2, out.data());  // past the far corner
  EXPECT_EQ((std::vector<float>(out.begin(), out.begin() + 4)), (std::vector<float>{23, 0, 0, 0}));
}

TEST(Transforms, RotationByZeroIsIdentityAndNinetyTurnsLeft) {
  std::vector<float> v = ramp(), out(v.size(), -1.0f);
  rotate_bilinear(v.data(), 2, 3, 4, 0.0, out.data());
  EXPECT_EQ(out, v);
  std::vector<float> sq(9), r(9);
  for (int i = 0; i < 9; ++i) sq[i] = static_cast<float>(i);  // 3x3: row-major 0..8
  rotate_bilinear(sq.data(), 1, 3, 3, M_PI / 2, r.data());
  // Counter-clockwise: the top row becomes the left column read bottom-up.
  const std::vector<float> want = {2, 5, 8, 1, 4, 7, 0, 3, 6};
  for (int i = 0; i < 9; ++i) EXPECT_NEAR(r[i], want[i], 1e-4) << i;
}

TEST(Transforms, NormaliseAndToFloat) {
  const uint8_t px[4] = {0, 51, 255, 73};
  float f[4];
  to_float(px, 4, f);
  EXPECT_FLOAT_EQ(f[1], 0.2f);
  EXPECT_FLOAT_EQ(f[2], 1.0f);
  normalize(f, 1, 4, {0.2860f}, {0.3530f});
  EXPECT_FLOAT_EQ(f[0], -0.2860f / 0.3530f);
  EXPECT_FLOAT_EQ(f[2], (1.0f - 0.2860f) / 0.3530f);
  std::vector<float> two = {1, 1, 1, 1};
  normalize(two.data(), 2, 2, {0.0f, 1.0f}, {2.0f, 0.5f});
  EXPECT_EQ(two, (std::vector<float>{0.5f, 0.5f, 0.0f, 0.0f}));
  EXPECT_THROW(normalize(two.data(), 2, 2, {0, 0, 0}, {1}), std::runtime_error);
}

TEST(Transforms, ResizeBilinearKeepsConstantsAndShape) {
  std::vector<float> flat(2 * 4 * 4, 0.5f), out(2 * 8 * 6);
  resize_bilinear(flat.data(), 2, 4, 4, out.data(), 8, 6);
  for (float x : out) EXPECT_NEAR(x, 0.5f, 1e-6);
}

TEST(Transforms, PipelineIsDeterministicPerSeedEpochIndex) {
  TransformOptions o;
  o.random_crop_h = o.random_crop_w = 6;
  o.crop_padding = 2;
  o.random_hflip = true;
  o.max_rotation_deg = 10;
  o.mean = {0.5f};
  o.std = {0.25f};
  Transform t(o);
  int64_t oh, ow;
  t.output_size(6, 6, oh, ow);
  EXPECT_EQ(oh, 6);
  std::vector<uint8_t> img(36);
  for (int i = 0; i < 36; ++i) img[i] = static_cast<uint8_t>(i * 7);
  std::vector<float> a(36), b(36), c(36);
  t.apply(img.data(), 1, 6, 6, 42, 3, 17, a.data());
  t.apply(img.data(), 1, 6, 6, 42, 3, 17, b.data());
  EXPECT_EQ(a, b);
  int differ = 0;  // other indices/epochs draw other crops, flips and angles
  for (int64_t idx = 0; idx < 8; ++idx) {
    t.apply(img.data(), 1, 6, 6, 42, 4, idx, c.data());
    t.apply(img.data(), 1, 6, 6, 42, 3, idx, b.data());
    differ += (b != c);
  }
  EXPECT_GE(differ, 6);
  // No random step: just /255 and normalise.
  Transform plain(TransformOptions{.mean = {0.5f}, .std = {0.25f}});
  plain.apply(img.data(), 1, 6, 6, 0, 0, 0, c.data());
  EXPECT_FLOAT_EQ(c[1], (7 / 255.0f - 0.5f) / 0.25f);
}

}  // namespace
}  // namespace he::data
