// List files (`path l1 ... lC`): the first byte picks the expected class count (0: from the
// first line), the rest is the text.
#include <string>

#include "engine/data/image_list.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const int64_t classes = data[0] % 8;
  return fuzz_one([&] {
    const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
    he::data::ImageList l = he::data::parse_list(text, "fuzz.txt", "root", classes);
    FUZZ_CHECK(l.multi_hot.size() == l.paths.size() * static_cast<size_t>(l.num_classes));
  });
}
