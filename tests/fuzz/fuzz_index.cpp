// Index files. The first byte's bit 0 asks to repair both CRC-32s before parsing, so the
// fuzzer gets past the checksums into the layout checks; bit 1 asks to verify the payload.
#include <zlib.h>

#include <cstring>
#include <vector>

#include "fuzz_util.h"
#include "retrieval/index_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool repair = data[0] & 1, verify = data[0] & 2;
  std::vector<uint8_t> b(data + 1, data + size);
  if (repair && b.size() >= 72) {
    uint32_t h = static_cast<uint32_t>(crc32_z(0, b.data(), 44));
    std::memcpy(b.data() + 44, &h, 4);
    uint32_t body = static_cast<uint32_t>(crc32_z(0, b.data() + 64, b.size() - 72));
    std::memcpy(b.data() + b.size() - 8, &body, 4);
  }
  return fuzz_one([&] {
    he::retrieval::IndexContents c =
        he::retrieval::parse_index(b.data(), b.size(), "fuzz.idx", verify);
    const size_t n = c.codes.size();
    FUZZ_CHECK(c.ids.empty() || c.ids.size() == n);
    FUZZ_CHECK(c.labels.empty() || c.labels.size() == n);
    FUZZ_CHECK(c.multi_labels.size() == (c.multi_labels.empty() ? 0 : n * c.label_classes));
    FUZZ_CHECK(n * c.codes.words_per_code() * 8 <= b.size());
  });
}
