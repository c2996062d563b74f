// Batch warps for the self-supervised recipes: rotations exact at 0 and at quarter turns,
// integer shifts exact, zoom about the centre, the fill value outside the source, random
// draws within their bounds.
#include <gtest/gtest.h>

#include <cmath>

#include "zoo/augment.h"

namespace he::zoo {
namespace {

TEST(Augment, RotateImagesQuarterTurnsAndFill) {
  Generator g(4);
  Tensor x = Tensor::randn({3, 2, 5, 5}, g);
  Tensor same = rotate_images(x, {0, 0, 0}, -0.8);
  EXPECT_EQ(same.to_vector<float>(), x.to_vector<float>());
  // A quarter turn there and back is the identity (a square grid maps onto itself).
  Tensor back = rotate_images(rotate_images(x, {90, 90, 90}, -0.8), {-90, -90, -90}, -0.8);
  std::vector<float> a = back.to_vector<float>(), b = x.to_vector<float>();
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5) << i;
  // Image 1 turned a quarter: its pixels are a permutation of the original's.
  Tensor q = rotate_images(x, {0, 90, 0}, 5.0);
  std::vector<float> qa = q.narrow(0, 1, 1).to_vector<float>(),
                     xa = x.narrow(0, 1, 1).to_vector<float>();
  std::sort(qa.begin(), qa.end()), std::sort(xa.begin(), xa.end());
  for (size_t i = 0; i < qa.size(); ++i) EXPECT_NEAR(qa[i], xa[i], 1e-5);
  // 45 degrees: the corners come from outside the image and take the fill value; an image
  // that is all fill stays so.
  Tensor ones = Tensor::ones({1, 1, 7, 7});
  std::vector<float> r = rotate_images(ones, {45}, -0.8).to_vector<float>();
  EXPECT_NEAR(r[0], -0.8f, 1e-6);
  EXPECT_NEAR(r[3 * 7 + 3], 1.0f, 1e-6);  // the centre stays
  for (float v : rotate_images(Tensor::full({1, 1, 7, 7}, -0.8), {30}, -0.8).to_vector<float>())
    EXPECT_NEAR(v, -0.8f, 1e-6);
  EXPECT_THROW(rotate_images(x, {1, 2}, 0), std::invalid_argument);
}

TEST(Augment, RandomRotationsWithinBoundsBothSigns) {
  Generator g(9);
  std::vector<double> a = random_rotations(200, 5, 10, g);
  int negative = 0;
  for (double v : a) {
    EXPECT_GE(std::abs(v), 5.0);
    EXPECT_LE(std::abs(v), 10.0);
    negative += v < 0;
  }
  EXPECT_GT(negative, 60);
  EXPECT_LT(negative, 140);
  Generator again(9);
  EXPECT_EQ(random_rotations(200, 5, 10, again), a);  // seeded
}

TEST(Augment, WarpShiftsExactlyAndZoomsAboutTheCentre) {
  Generator g(5);
  Tensor x = Tensor::randn({2, 1, 5, 5}, g);
  data::Affine right;  // image 0 moved one pixel right and two down; image 1 untouched
  right.shift_x = 1, right.shift_y = 2;
  std::vector<float> out = warp_images(x, {right, data::Affine{}}, 7.0).to_vector<float>();
  std::vector<float> in = x.to_vector<float>();
  for (int y = 0; y < 5; ++y)
    for (int c = 0; c < 5; ++c)
      EXPECT_EQ(out[y * 5 + c], y < 2 || c < 1 ? 7.0f : in[(y - 2) * 5 + c - 1]) << y << "," << c;
  for (int i = 25; i < 50; ++i) EXPECT_EQ(out[i], in[i]);
  // Zoom 2: the centre stays, its neighbour (one pixel right) reads half a pixel right.
  data::Affine zoom;
  zoom.scale = 2;
  std::vector<float> z = warp_images(x.narrow(0, 0, 1), {zoom}, 0.0).to_vector<float>();
  EXPECT_FLOAT_EQ(z[2 * 5 + 2], in[2 * 5 + 2]);
  EXPECT_NEAR(z[2 * 5 + 3], 0.5f * (in[2 * 5 + 2] + in[2 * 5 + 3]), 1e-6);
  zoom.scale = 0;
  EXPECT_THROW(warp_images(x.narrow(0, 0, 1), {zoom}, 0.0), std::invalid_argument);
  EXPECT_THROW(warp_images(x, {right}, 0.0), std::invalid_argument);  // one warp, two images
}

TEST(Augment, RandomWarpsWithinTheirRanges) {
  WarpRange r;
  r.max_degrees = 15, r.max_zoom = 0.15, r.max_shift = 3;
  Generator g(3);
  std::vector<data::Affine> w = random_warps(300, r, g);
  double lowest = 1e9, highest = -1e9;
  for (const data::Affine& v : w) {
    EXPECT_LE(std::abs(v.radians), 15.0 * M_PI / 180 + 1e-12);
    EXPECT_LE(std::abs(v.scale - 1), 0.15);
    EXPECT_LE(std::abs(v.shift_x), 3.0);
    EXPECT_LE(std::abs(v.shift_y), 3.0);
    lowest = std::min(lowest, v.shift_x), highest = std::max(highest, v.shift_x);
  }
  EXPECT_LT(lowest, -2.5);  // the draws fill the range
  EXPECT_GT(highest, 2.5);
  Generator again(3);
  EXPECT_EQ(random_warps(300, r, again)[7].radians, w[7].radians);  // seeded
}

}  // namespace
}  // namespace he::zoo
