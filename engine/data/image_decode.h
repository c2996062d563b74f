#pragma once
// Decoding one image file with stb_image (JPEG, PNG, BMP, GIF first frame, ...).
#include <cstdint>
#include <string>
#include <vector>

namespace he::data {

struct DecodeOptions {
  int channels = 3;    // 1 (grey) or 3 (RGB): the decoded image is converted to this
  int64_t height = 0;  // > 0 with width: resize (bilinear, stb_image_resize) to this size
  int64_t width = 0;
  // With height and width: scale so that the image covers height x width with its aspect
  // ratio kept (the short side fits), then crop the centre (torchvision's Resize(short side)
  // + CenterCrop). false: stretch to height x width.
  bool keep_aspect = false;
};

struct DecodedImage {
  int64_t c = 0, h = 0, w = 0;
  std::vector<uint8_t> pixels;  // c*h*w, CHW
};

// Decodes `path`. Throws naming the file and stb's reason when it cannot be read or decoded.
DecodedImage decode_image(const std::string& path, const DecodeOptions& opts);
// The same from the file's bytes (the in-memory half and the fuzzing entry point).
DecodedImage decode_image_bytes(const std::vector<uint8_t>& bytes, const std::string& path,
                                const DecodeOptions& opts);

// The channels an image file stores by its header (1 grey, 2 grey + alpha, 3 RGB, 4 RGBA);
// 0 when the file cannot be read or its header is not an image's.
int image_file_channels(const std::string& path);

// u8 HWC (interleaved) -> u8 CHW, src and dst of h*w*c bytes.
void hwc_to_chw(const uint8_t* src, int64_t c, int64_t h, int64_t w, uint8_t* dst);

// Bilinear resize of one u8 HWC image with stb_image_resize (triangle filter, clamped edges).
void resize_u8_hwc(const uint8_t* src, int64_t c, int64_t h, int64_t w, uint8_t* dst, int64_t out_h,
                   int64_t out_w);

}  // namespace he::data
