// Image decoding with stb_image (PNG, JPEG, BMP, GIF, TGA, PNM, PSD, HDR, ...): the first
// byte picks grey or RGB and whether to resize to 16 x 16.
#include "engine/data/image_decode.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  he::data::DecodeOptions o;
  o.channels = data[0] & 1 ? 3 : 1;
  if (data[0] & 2) o.height = o.width = 16;
  return fuzz_one([&] {
    const std::vector<uint8_t> bytes(data + 1, data + size);
    he::data::DecodedImage img = he::data::decode_image_bytes(bytes, "fuzz.img", o);
    FUZZ_CHECK(img.pixels.size() == static_cast<size_t>(img.c * img.h * img.w));
  });
}
