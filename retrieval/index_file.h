#pragma once
// Index files: a flat or MIH Hamming index with optional external ids and labels.
// Layout (little-endian), version 1:
//   0   "HEINDEX\0"            8 bytes magic
//   8   u32 version (1)        12 u32 kind (0 flat, 1 mih)   16 u32 bits
//   20  u32 mih substrings     24 u64 n                      32 u32 flags (1 ids, 2 labels,
//                                                                 4 multi-hot labels)
//   36  u32 label classes      40 u32 reserved (0)           44 u32 CRC-32 of bytes 0..43
//   48  16 reserved zero bytes
//   64  codes: n * ceil(bits/64) u64 words (64-byte aligned, loadable by mmap in place)
//       ids: n i64 (flag 1); labels: n i64 (flag 2) or n * classes u8 (flags 2|4)
//   end-8: u32 CRC-32 of bytes 64 .. end-8, then "HEND"
// MIH tables are rebuilt on load (linear time). Writes are atomic (temp file + rename).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "retrieval/codes.h"

namespace he::retrieval {

enum class IndexKind : uint32_t { Flat = 0, Mih = 1 };

struct IndexContents {
  IndexKind kind = IndexKind::Flat;
  int mih_substrings = 0;  // 0 = default for the data
  PackedCodes codes;
  std::vector<int64_t> ids;           // empty = row numbers
  std::vector<int64_t> labels;        // single-label, empty = none
  std::vector<uint8_t> multi_labels;  // (n, label_classes) multi-hot, empty = none
  size_t label_classes = 0;
};

void save_index(const std::string& path, const IndexContents& c);
// use_mmap: the codes stay a read-only view on the mapped file. verify: check the payload
// CRC (reads the whole file). Any truncation, corruption or inconsistency throws
// std::runtime_error naming the file and the problem.
IndexContents load_index(const std::string& path, bool use_mmap = true, bool verify = true);
// The same from a file image in memory (load_index calls it; also the fuzzing entry point).
// With `keep` the codes are a view on `p` that holds keep alive, else a copy.
IndexContents parse_index(const uint8_t* p, size_t size, const std::string& path, bool verify,
                          std::shared_ptr<const void> keep = nullptr);

}  // namespace he::retrieval
