#pragma once
// Index files for real-valued descriptors: an exact float index or a PQ / OPQ / IVF-PQ index.
// Layout (little-endian), version 1:
//   0   "HEQUANT\0"          8 bytes magic
//   8   u32 version (1)      12 u32 kind (0 flat, 1 pq, 2 opq, 3 ivfpq)
//   16  u32 d                20 u32 m (0 for flat)      24 u32 nbits (4 or 8; 0 for flat)
//   28  u32 nlist (ivfpq)    32 u64 n                   40 u32 reserved (0)
//   44  u32 CRC-32 of bytes 0..43                       48 16 reserved zero bytes
//   64  payload, by kind:
//       flat:  vectors n*d f32
//       pq:    centroids m*2^nbits*(d/m) f32, codes n*m u8
//       opq:   rotation d*d f32, then as pq
//       ivfpq: coarse nlist*d f32, centroids, list sizes nlist u64, ids n i64, codes n*m u8
//              (ids and codes in list order)
//   end-8: u32 CRC-32 of the payload, then "HEND"
// Writes are atomic (temp file + rename). The Hamming index files (retrieval/index_file.h)
// start with a different magic.
#include <cstdint>
#include <string>
#include <vector>

#include "retrieval/ivfpq_index.h"
#include "retrieval/pq_index.h"

namespace he::retrieval {

enum class QuantKind : uint32_t { Flat = 0, Pq = 1, Opq = 2, IvfPq = 3 };
const char* quant_kind_name(QuantKind k);

struct QuantIndexContents {
  QuantKind kind = QuantKind::Flat;
  int64_t d = 0, m = 0, nbits = 0, nlist = 0, n = 0;
  std::vector<float> vectors;       // flat: (n,d)
  std::vector<float> rotation;      // opq: (d,d)
  std::vector<float> coarse;        // ivfpq: (nlist,d)
  std::vector<float> centroids;     // pq kinds: (m, 2^nbits, d/m)
  std::vector<int64_t> list_sizes;  // ivfpq: (nlist)
  std::vector<int64_t> ids;         // ivfpq: (n), each in [0, n)
  std::vector<uint8_t> codes;       // pq kinds: (n,m), values < 2^nbits
};

void save_quant_index(const std::string& path, const QuantIndexContents& c);
// Truncation, corruption or inconsistency throws std::runtime_error naming the file and the
// problem. verify: check the payload CRC.
QuantIndexContents load_quant_index(const std::string& path, bool verify = true);
QuantIndexContents parse_quant_index(const uint8_t* p, size_t size, const std::string& path,
                                     bool verify = true);
// Whether the file starts with this format's magic (false when it cannot be read).
bool is_quant_index_file(const std::string& path);

// Between indexes and file contents.
QuantIndexContents contents_of(const PqIndex& index);  // kind pq, or opq with a rotation
QuantIndexContents contents_of(const IvfPqIndex& index);
PqIndex pq_index_from(const QuantIndexContents& c);
IvfPqIndex ivfpq_index_from(const QuantIndexContents& c);

}  // namespace he::retrieval
