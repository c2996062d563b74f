#include "engine/data/image_decode.h"

#include <limits>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>
#include <stb_image.h>
#include <stb_image_resize.h>

#include "engine/data/file_io.h"

namespace he::data {

void hwc_to_chw(const uint8_t* src, int64_t c, int64_t h, int64_t w, uint8_t* dst) {
  const int64_t plane = h * w;
  for (int64_t p = 0; p < plane; ++p)
    for (int64_t ch = 0; ch < c; ++ch) dst[ch * plane + p] = src[p * c + ch];
}

void resize_u8_hwc(const uint8_t* src, int64_t c, int64_t h, int64_t w, uint8_t* dst, int64_t out_h,
                   int64_t out_w) {
  int ok = stbir_resize_uint8_generic(
      src, static_cast<int>(w), static_cast<int>(h), 0, dst, static_cast<int>(out_w),
      static_cast<int>(out_h), 0, static_cast<int>(c), STBIR_ALPHA_CHANNEL_NONE, 0,
      STBIR_EDGE_CLAMP, STBIR_FILTER_TRIANGLE, STBIR_COLORSPACE_LINEAR, nullptr);
  if (!ok) throw std::runtime_error("resize_u8_hwc: stb_image_resize failed");
}

DecodedImage decode_image(const std::string& path, const DecodeOptions& opts) {
  if (opts.channels != 1 && opts.channels != 3)
    throw std::runtime_error(
        fmt::format("{}: channels must be 1 or 3, got {}", path, opts.channels));
  std::vector<uint8_t> bytes = read_file_bytes(path, uint64_t{1} << 31);
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
    throw std::runtime_error(fmt::format("{}: file too large to decode", path));
  int w = 0, h = 0, file_channels = 0;
  std::unique_ptr<uint8_t, void (*)(void*)> px(
      stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &file_channels,
                            opts.channels),
      stbi_image_free);
  if (!px)  // stb's failure reason is thread-local in this stb version
    throw std::runtime_error(
        fmt::format("{}: cannot decode image: {}", path, stbi_failure_reason()));
  DecodedImage img;
  img.c = opts.channels;
  const uint8_t* hwc = px.get();
  std::vector<uint8_t> resized;
  if (opts.height > 0 && opts.width > 0 && (opts.height != h || opts.width != w)) {
    resized.resize(static_cast<size_t>(opts.height * opts.width * img.c));
    resize_u8_hwc(hwc, img.c, h, w, resized.data(), opts.height, opts.width);
    hwc = resized.data();
    h = static_cast<int>(opts.height), w = static_cast<int>(opts.width);
  }
  img.h = h, img.w = w;
  img.pixels.resize(static_cast<size_t>(img.c * img.h * img.w));
  hwc_to_chw(hwc, img.c, img.h, img.w, img.pixels.data());
  return img;
}

}  // namespace he::data
