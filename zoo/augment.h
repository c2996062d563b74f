#pragma once
// Augmented copies of a training batch for the self-supervised recipes (DeepBit's rotation
// invariance, UTH's rotated positives): whole-batch tensor versions of engine/data's
// per-sample transforms, drawn from a model-owned Generator so that a resumed run draws the
// same angles.
#include <vector>

#include "engine/engine.h"

namespace he::zoo {

// The value of a black pixel after the protocol's normalisation, (0 - mean) / std: what a
// rotation shows where the source falls outside the image.
double normalized_black();

// x:(N,C,H,W) f32 -> (N,C,H,W) f32: image i rotated by degrees[i] (counter-clockwise on
// screen) about its centre, bilinear, `fill` where the source falls outside. No gradient.
Tensor rotate_images(const Tensor& x, const std::vector<double>& degrees, double fill);

// n angles, each of magnitude uniform in [min_deg, max_deg] and of random sign.
std::vector<double> random_rotations(int64_t n, double min_deg, double max_deg, Generator& gen);

}  // namespace he::zoo
