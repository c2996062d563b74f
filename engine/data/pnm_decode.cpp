#include "engine/data/pnm_decode.h"

#include <stdexcept>

#include <fmt/format.h>

namespace he::data {
namespace {

bool space(uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// One header number: whitespace and '#' comments (to the end of the line), then decimal
// digits. At most 9 digits, so the value fits an int with room to multiply.
int64_t header_field(const std::vector<uint8_t>& b, size_t& i, const std::string& path,
                     const char* name) {
  for (;;) {
    while (i < b.size() && space(b[i])) ++i;
    if (i >= b.size() || b[i] != '#') break;
    while (i < b.size() && b[i] != '\n' && b[i] != '\r') ++i;
  }
  int64_t value = 0;
  size_t digits = 0;
  for (; i < b.size() && b[i] >= '0' && b[i] <= '9'; ++i, ++digits) {
    if (digits == 9)
      throw std::runtime_error(
          fmt::format("{}: cannot decode PNM: {} has more than 9 digits", path, name));
    value = value * 10 + (b[i] - '0');
  }
  if (digits == 0)
    throw std::runtime_error(fmt::format("{}: cannot decode PNM: {} missing", path, name));
  return value;
}

}  // namespace

bool is_binary_pnm(const std::vector<uint8_t>& b) {
  return b.size() >= 2 && b[0] == 'P' && (b[1] == '5' || b[1] == '6');
}

std::vector<uint8_t> decode_pnm(const std::vector<uint8_t>& b, const std::string& path,
                                int channels, int& width, int& height) {
  if (!is_binary_pnm(b)) throw std::runtime_error(path + ": not a binary PNM (P5/P6)");
  size_t i = 2;
  const int64_t w = header_field(b, i, path, "width");
  const int64_t h = header_field(b, i, path, "height");
  const int64_t maxval = header_field(b, i, path, "maximum value");
  if (w <= 0 || h <= 0)
    throw std::runtime_error(
        fmt::format("{}: cannot decode PNM: it is {} x {} pixels", path, w, h));
  if (maxval < 1 || maxval > 65535)
    throw std::runtime_error(
        fmt::format("{}: cannot decode PNM: maximum value {} is not in 1..65535", path, maxval));
  if (i >= b.size() || !space(b[i]))
    throw std::runtime_error(
        fmt::format("{}: cannot decode PNM: no whitespace after the header", path));
  ++i;  // exactly one whitespace byte separates the header from the raster
  const int file_c = b[1] == '6' ? 3 : 1, bytes_per_sample = maxval > 255 ? 2 : 1;
  const uint64_t samples = uint64_t(w) * uint64_t(h) * uint64_t(file_c);
  if (samples * bytes_per_sample > b.size() - i)
    throw std::runtime_error(fmt::format(
        "{}: cannot decode PNM: {} x {} x {} samples of {} byte(s) need {} bytes, the file "
        "holds {} after its header",
        path, w, h, file_c, bytes_per_sample, samples * bytes_per_sample, b.size() - i));
  const uint8_t* raster = b.data() + i;
  auto sample = [&](uint64_t k) -> int {
    const uint32_t v =
        bytes_per_sample == 2 ? (uint32_t{raster[2 * k]} << 8) | raster[2 * k + 1] : raster[k];
    const uint32_t clamped = v > uint32_t(maxval) ? uint32_t(maxval) : v;
    return static_cast<int>((clamped * 255u + uint32_t(maxval) / 2) / uint32_t(maxval));
  };
  const uint64_t pixels = uint64_t(w) * uint64_t(h);
  std::vector<uint8_t> out(pixels * channels);
  for (uint64_t p = 0; p < pixels; ++p) {
    uint8_t* d = out.data() + p * channels;
    if (file_c == channels) {
      for (int c = 0; c < channels; ++c) d[c] = static_cast<uint8_t>(sample(p * file_c + c));
    } else if (channels == 3) {
      d[0] = d[1] = d[2] = static_cast<uint8_t>(sample(p));
    } else {
      const int r = sample(3 * p), g = sample(3 * p + 1), bl = sample(3 * p + 2);
      d[0] = static_cast<uint8_t>((r * 77 + g * 150 + bl * 29) >> 8);
    }
  }
  width = static_cast<int>(w), height = static_cast<int>(h);
  return out;
}

}  // namespace he::data
