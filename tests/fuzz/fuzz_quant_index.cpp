// Quantised index files (retrieval/quant_index_file.h). The first byte's bit 0 asks to repair
// both CRC-32s before parsing, so the fuzzer gets past the checksums into the layout checks;
// bit 1 asks to verify the payload. A parsed PQ / IVF-PQ file is also turned into its index
// and searched once, so a file the parser accepts cannot crash the search.
#include <zlib.h>

#include <cstring>
#include <vector>

#include "fuzz_util.h"
#include "retrieval/quant_index_file.h"

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
    namespace r = he::retrieval;
    r::QuantIndexContents c = r::parse_quant_index(b.data(), b.size(), "fuzz.heq", verify);
    FUZZ_CHECK(c.codes.size() == static_cast<size_t>(c.n * c.m));
    if (c.kind == r::QuantKind::Flat || c.n == 0 || c.d > 256) return;
    std::vector<float> q(c.d, 0.5f);
    r::PqSearchOptions opt;
    opt.k = 1, opt.nprobe = 2, opt.threads = 1;
    r::FloatKnnResult res = c.kind == r::QuantKind::IvfPq
                                ? r::ivfpq_index_from(c).search(q.data(), 1, opt)
                                : r::pq_index_from(c).search(q.data(), 1, opt);
    FUZZ_CHECK(res.ids.size() == 1 && res.ids[0] < c.n);
  });
}
