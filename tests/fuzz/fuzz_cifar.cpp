// CIFAR-10 / CIFAR-100 binary records: the first byte picks the kind.
#include "engine/data/cifar.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto kind = static_cast<he::data::CifarKind>(data[0] % 3);
  return fuzz_one([&] {
    he::data::ImageSet set;
    set.c = 3, set.h = 32, set.w = 32;
    he::data::append_cifar(set, data + 1, size - 1, "fuzz.bin", kind);
    FUZZ_CHECK(set.pixels.size() == static_cast<size_t>(set.n) * 3072);
    FUZZ_CHECK(set.labels.size() == static_cast<size_t>(set.n));
  });
}
