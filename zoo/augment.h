#pragma once
// Augmented copies of a training batch for the self-supervised recipes (DeepBit's rotation
// invariance, UTH's augmented positives): whole-batch tensor versions of engine/data's
// per-sample transforms, drawn from a model-owned Generator so that a resumed run draws the
// same distortions.
#include <vector>

#include "engine/data/transforms.h"
#include "engine/engine.h"

namespace he::zoo {

// The value of a black pixel after the protocol's normalisation, (0 - mean) / std: what a
// rotation shows where the source falls outside the image.
double normalized_black();

// x:(N,C,H,W) f32 -> (N,C,H,W) f32: image i distorted by warps[i] (data::warp_bilinear:
// rotation, zoom, shift about the centre), `fill` where the source falls outside. The
// identity warp copies the image exactly. No gradient.
Tensor warp_images(const Tensor& x, const std::vector<data::Affine>& warps, double fill);

// warp_images with rotations only.
Tensor rotate_images(const Tensor& x, const std::vector<double>& degrees, double fill);

// n angles, each of magnitude uniform in [min_deg, max_deg] and of random sign.
std::vector<double> random_rotations(int64_t n, double min_deg, double max_deg, Generator& gen);

// The ranges random_warps draws from: angle uniform in [-max_degrees, max_degrees], zoom in
// [1 - max_zoom, 1 + max_zoom], each shift in [-max_shift, max_shift].
struct WarpRange {
  double max_degrees = 0, max_zoom = 0, max_shift = 0;
};
std::vector<data::Affine> random_warps(int64_t n, const WarpRange& range, Generator& gen);

}  // namespace he::zoo
