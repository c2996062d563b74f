#include "engine/data/image_decode.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>
#include <stb_image.h>
#include <stb_image_resize.h>

#include "engine/data/file_io.h"
#include "engine/data/pnm_decode.h"

namespace he::data {
namespace {

// stb_image 2.27 (Debian 12) does not check that a JPEG Huffman table (DHT) holds at most 256
// codes and then writes past its tables (fixed upstream in 2.28). Every FF C4 pair in the file
// is taken as a DHT marker, a superset of the ones stb's parser can reach, and each table
// after it must have a code count <= 256. Bytes past the end read as 0, as in stb.
bool jpeg_huffman_tables_ok(const std::vector<uint8_t>& b) {
  // stb skips any run of 0xFF fill bytes before a marker, SOI included (FF FF .. FF D8 is a
  // JPEG to it; found by fuzz_image), so every file that starts with 0xFF is checked.
  if (b.size() < 2 || b[0] != 0xFF) return true;  // not a JPEG
  auto at = [&](size_t i) -> int { return i < b.size() ? b[i] : 0; };
  for (size_t m = 0; m + 1 < b.size(); ++m) {
    if (b[m] != 0xFF || b[m + 1] != 0xC4) continue;
    size_t p = m + 2;
    int64_t left = (at(p) << 8 | at(p + 1)) - 2;
    p += 2;
    while (left > 0 && p < b.size()) {
      int64_t n = 0;
      for (int i = 0; i < 16; ++i) n += at(p + 1 + i);
      if (n > 256) return false;
      p += 17 + static_cast<size_t>(n);
      left -= 17 + n;
    }
  }
  return true;
}

// Two PNG chunk lists stb_image 2.27 mishandles, both found by fuzz_image; returns what is
// wrong, or nullptr. A zero-length IDAT chunk is copied with memcpy(NULL, src, 0) before any
// data buffer exists (undefined behaviour; such a chunk carries nothing). An IDAT chunk whose
// length runs past the end of the file makes stb grow its buffer to that length (up to 2 GiB)
// before it finds the data missing, so every chunk up to IEND must fit in the file.
const char* png_chunk_problem(const std::vector<uint8_t>& b) {
  static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (b.size() < 8 || !std::equal(sig, sig + 8, b.begin())) return nullptr;  // not PNG
  size_t at = 8;
  while (at + 8 <= b.size()) {
    const uint64_t len = (uint64_t{b[at]} << 24) | (uint64_t{b[at + 1]} << 16) |
                         (uint64_t{b[at + 2]} << 8) | b[at + 3];
    auto type_is = [&](const char* t) {
      return std::equal(b.begin() + at + 4, b.begin() + at + 8, t);
    };
    if (type_is("IEND")) return nullptr;  // stb stops reading here
    if (len > b.size() - at - 8) return "PNG chunk longer than the rest of the file";
    if (len == 0 && type_is("IDAT")) return "PNG with an empty IDAT chunk";
    at += 12 + len;  // length, type, data, CRC
  }
  return nullptr;
}

// stb allocates the whole image as soon as the header is read, and a header can claim
// 32768 x 32768 pixels in a few bytes. No format stb reads packs more pixels into a byte than
// a 1-bit PNG with deflate's best ratio (1032:1), so a larger claim is a lie.
constexpr uint64_t kMaxPixelsPerByte = 8 * 1032;

}  // namespace

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

namespace {
// The centre window (top, left, ch, cw) of an h x w image with the aspect ratio of oh x ow.
struct Window {
  int64_t top = 0, left = 0, h = 0, w = 0;
};
Window centre_window(int64_t h, int64_t w, int64_t oh, int64_t ow) {
  Window win{0, 0, h, w};
  if (h * ow > w * oh) {  // taller than the target: keep the full width
    win.h = std::max<int64_t>(1, (w * oh + ow / 2) / ow);
    win.top = (h - win.h) / 2;
  } else {
    win.w = std::max<int64_t>(1, (h * ow + oh / 2) / oh);
    win.left = (w - win.w) / 2;
  }
  return win;
}

// Interleaved h x w x opts.channels pixels -> the resized CHW image.
DecodedImage finish(const uint8_t* hwc, const DecodeOptions& opts, int h, int w) {
  DecodedImage img;
  img.c = opts.channels;
  std::vector<uint8_t> cropped, resized;
  const bool sized = opts.height > 0 && opts.width > 0;
  if (sized && opts.keep_aspect) {
    const Window win = centre_window(h, w, opts.height, opts.width);
    if (win.h != h || win.w != w) {
      cropped.resize(static_cast<size_t>(win.h * win.w * img.c));
      for (int64_t y = 0; y < win.h; ++y)
        std::copy_n(hwc + ((y + win.top) * w + win.left) * img.c, win.w * img.c,
                    cropped.data() + y * win.w * img.c);
      hwc = cropped.data();
      h = static_cast<int>(win.h), w = static_cast<int>(win.w);
    }
  }
  if (sized && (opts.height != h || opts.width != w)) {
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
}  // namespace

int image_file_channels(const std::string& path) {
  std::vector<uint8_t> bytes;
  try {
    bytes = read_file_bytes(path, uint64_t{1} << 31);
  } catch (const std::exception&) {
    return 0;
  }
  if (is_binary_pnm(bytes)) return bytes[1] == '5' ? 1 : 3;
  int w = 0, h = 0, channels = 0;
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      !stbi_info_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &channels))
    return 0;
  return channels;
}

DecodedImage decode_image(const std::string& path, const DecodeOptions& opts) {
  if (opts.channels != 1 && opts.channels != 3)
    throw std::runtime_error(
        fmt::format("{}: channels must be 1 or 3, got {}", path, opts.channels));
  return decode_image_bytes(read_file_bytes(path, uint64_t{1} << 31), path, opts);
}

DecodedImage decode_image_bytes(const std::vector<uint8_t>& bytes, const std::string& path,
                                const DecodeOptions& opts) {
  if (opts.channels != 1 && opts.channels != 3)
    throw std::runtime_error(
        fmt::format("{}: channels must be 1 or 3, got {}", path, opts.channels));
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max()))
    throw std::runtime_error(fmt::format("{}: file too large to decode", path));
  if (!jpeg_huffman_tables_ok(bytes))
    throw std::runtime_error(
        fmt::format("{}: cannot decode image: corrupt JPEG Huffman table "
                    "(more than 256 codes)",
                    path));
  if (const char* problem = png_chunk_problem(bytes))
    throw std::runtime_error(fmt::format("{}: cannot decode image: {}", path, problem));
  int w = 0, h = 0, file_channels = 0;
  if (is_binary_pnm(bytes)) {
    const std::vector<uint8_t> hwc = decode_pnm(bytes, path, opts.channels, w, h);
    return finish(hwc.data(), opts, h, w);
  }
  if (stbi_info_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &file_channels) &&
      uint64_t(w) * uint64_t(h) > kMaxPixelsPerByte * bytes.size() + (1u << 16))
    throw std::runtime_error(fmt::format(
        "{}: cannot decode image: the header claims {} x {} pixels, more than {} bytes of "
        "image data can hold",
        path, w, h, bytes.size()));
  std::unique_ptr<uint8_t, void (*)(void*)> px(
      stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &file_channels,
                            opts.channels),
      stbi_image_free);
  if (!px)  // stb's failure reason is thread-local in this stb version
    throw std::runtime_error(
        fmt::format("{}: cannot decode image: {}", path, stbi_failure_reason()));
  // Guards a decoder that hands back an empty image, which the resize would divide by.
  if (w <= 0 || h <= 0)
    throw std::runtime_error(
        fmt::format("{}: cannot decode image: it is {} x {} pixels", path, w, h));
  return finish(px.get(), opts, h, w);
}

}  // namespace he::data
