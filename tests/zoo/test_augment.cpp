// Batch rotations for the self-supervised recipes: exact at 0 and at quarter turns, the fill
// value outside the source, angles within their bounds.
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

}  // namespace
}  // namespace he::zoo
