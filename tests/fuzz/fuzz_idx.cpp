// IDX, plain or gzip: the first byte picks images or labels, the rest is the file image,
// inflated first when it starts with the gzip magic (the path of read_idx_images/labels).
#include "engine/data/file_io.h"
#include "engine/data/idx.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool images = data[0] & 1;
  return fuzz_one([&] {
    std::vector<uint8_t> bytes = he::data::maybe_inflate(
        std::vector<uint8_t>(data + 1, data + size), "fuzz.idx", uint64_t{64} << 20);
    const size_t n = bytes.size();
    if (images) {
      he::data::ImageSet s = he::data::parse_idx_images(std::move(bytes), "fuzz.idx");
      FUZZ_CHECK(static_cast<uint64_t>(s.n * s.h * s.w) == s.pixels.size() && n >= 16);
    } else {
      std::vector<int64_t> labels = he::data::parse_idx_labels(bytes, "fuzz.idx");
      FUZZ_CHECK(labels.size() + 8 == n);
    }
  });
}
