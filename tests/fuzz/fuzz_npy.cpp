// .npy: parse_npy on arbitrary bytes, then the conversions a caller would run.
#include "fuzz_util.h"
#include "retrieval/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return fuzz_one([&] {
    he::retrieval::NpyArray a = he::retrieval::parse_npy(data, size, "fuzz.npy");
    FUZZ_CHECK(a.bytes.size() <= size);
    FUZZ_CHECK(static_cast<size_t>(a.count()) * a.item_size() == a.bytes.size());
    if (a.shape.size() == 2) {
      he::retrieval::PackedCodes c = he::retrieval::codes_from_npy(a, "fuzz.npy");
      FUZZ_CHECK(static_cast<int64_t>(c.size()) == a.shape[0]);
    }
  });
}
