// safetensors: parse_safetensors on arbitrary bytes (the path of load_safetensors).
#include "engine/io/safetensors.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return fuzz_one([&] {
    he::SafetensorsFile f = he::parse_safetensors(data, size, "fuzz.safetensors");
    uint64_t bytes = 0;
    for (const auto& [name, t] : f.tensors) bytes += t.nbytes();
    FUZZ_CHECK(bytes <= size);  // allocations are backed by the input
  });
}
