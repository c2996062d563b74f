#pragma once
// Image transforms on planar (CHW) buffers, and the per-sample augmentation pipeline.
// Randomness is stateless: sample `index` of `epoch` draws Philox counters index * 8 + j
// under a key derived from (seed, epoch), so an augmented sample is the same whatever
// thread builds it and in whatever order.
#include <cstdint>
#include <vector>

namespace he::data {

// u8 (n) -> f32 (n), x / 255.
void to_float(const uint8_t* src, int64_t n, float* dst);
// (c,h,w) f32 -> (c,out_h,out_w) f32, bilinear (stb_image_resize triangle filter, clamped).
void resize_bilinear(const float* src, int64_t c, int64_t h, int64_t w, float* dst, int64_t out_h,
                     int64_t out_w);
// (c,h,w) -> (c,out_h,out_w): dst(y, x) = src(y + top, x + left), 0 outside the source.
// top/left may be negative (padding) or push the window past the far edge.
void crop(const float* src, int64_t c, int64_t h, int64_t w, int64_t top, int64_t left,
          int64_t out_h, int64_t out_w, float* dst);
// (c,h,w) in place: x -> w - 1 - x.
void hflip(float* img, int64_t c, int64_t h, int64_t w);
// A distortion about the image centre: turned by `radians` (counter-clockwise on screen),
// zoomed by `scale` (> 1 enlarges, > 0), then moved by (shift_x, shift_y) pixels (right, down).
struct Affine {
  double radians = 0, scale = 1, shift_x = 0, shift_y = 0;
};
// (c,h,w) -> (c,h,w): the image distorted by `a`, bilinear, `fill` where the source falls
// outside. The identity, and whole-pixel shifts, copy values exactly.
void warp_bilinear(const float* src, int64_t c, int64_t h, int64_t w, const Affine& a, float fill,
                   float* dst);
// warp_bilinear turning by `radians` only, 0 outside. radians = 0 copies exactly.
void rotate_bilinear(const float* src, int64_t c, int64_t h, int64_t w, double radians, float* dst);
// (c, hw) in place: x = (x - mean[k]) / std[k]; mean/std of size c, or 1 (all channels).
void normalize(float* img, int64_t c, int64_t hw, const std::vector<float>& mean,
               const std::vector<float>& std);

// Applied in this order: /255, random resized crop, resize, center crop, random rotation,
// random crop (with padding), random horizontal flip, normalise. A zero size turns a step off.
struct TransformOptions {
  // torchvision's RandomResizedCrop: a window of area fraction uniform in [min_scale, 1] and
  // aspect ratio log-uniform in [3/4, 4/3], placed uniformly, resized to size x size. One draw
  // per sample, the window clamped to the image (torchvision retries 10 times instead).
  int64_t random_resized_crop = 0;
  double random_resized_crop_min_scale = 0.08;
  int64_t resize_h = 0, resize_w = 0;
  int64_t center_crop_h = 0, center_crop_w = 0;
  double max_rotation_deg = 0;  // angle uniform in [-max, max]
  int64_t random_crop_h = 0, random_crop_w = 0;
  int64_t crop_padding = 0;      // zero padding on each side before the random crop
  bool random_hflip = false;     // probability 1/2
  std::vector<float> mean, std;  // empty: no normalisation
};

class Transform {
 public:
  Transform() = default;
  explicit Transform(TransformOptions opts) : opts_(std::move(opts)) {}
  const TransformOptions& options() const { return opts_; }
  // Output (h, w) for an input of (h, w); channels are unchanged.
  void output_size(int64_t h, int64_t w, int64_t& out_h, int64_t& out_w) const;
  // img: (c,h,w) u8 -> out: (c,out_h,out_w) f32 for sample `index` of `epoch`.
  void apply(const uint8_t* img, int64_t c, int64_t h, int64_t w, uint64_t seed, int64_t epoch,
             int64_t index, float* out) const;

 private:
  TransformOptions opts_;
};

// The Philox key of (seed, epoch) used for shuffles and augmentation.
uint64_t epoch_key(uint64_t seed, int64_t epoch);

}  // namespace he::data
