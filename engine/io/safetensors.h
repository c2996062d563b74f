#pragma once
// safetensors files (the format PyTorch / Hugging Face checkpoints use): an 8-byte
// little-endian header length N, N bytes of JSON
//   {"__metadata__": {string: string}, "<name>": {"dtype": "F32", "shape": [...],
//    "data_offsets": [begin, end]}, ...}
// padded with spaces to a multiple of 8, then the raw little-endian tensor bytes, offsets
// relative to the start of that buffer. Dtypes: F32, F64, I32, I64, U8, U64.
#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "engine/tensor.h"

namespace he {

using TensorList = std::vector<std::pair<std::string, Tensor>>;
using Metadata = std::map<std::string, std::string>;

// Writes tensors in the given order (names unique, not "__metadata__"); any layout or
// device (written contiguous, from the CPU). Atomic: the bytes go to "<path>.tmp.<pid>",
// are flushed and fsync'ed, then renamed over `path` and the directory is fsync'ed, so a
// crash leaves the old file or the new one, never a torn one. Throws std::runtime_error
// naming the file on an I/O error, std::invalid_argument on a bad name. With `previous`,
// an existing `path` is renamed to `previous` just before the new file is renamed in.
void save_safetensors(const std::string& path, const TensorList& tensors,
                      const Metadata& metadata = {}, const std::string& previous = {});
void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const Metadata& metadata = {});
// save_safetensors(path, {{"w", w}, {"b", b}}) keeps the written order.
inline void save_safetensors(const std::string& path,
                             std::initializer_list<std::pair<std::string, Tensor>> tensors,
                             const Metadata& metadata = {}) {
  save_safetensors(path, TensorList(tensors), metadata);
}

struct SafetensorsFile {
  std::map<std::string, Tensor> tensors;  // CPU, contiguous, owning their memory
  Metadata metadata;
};

// Reads and validates the whole file. A malformed file throws std::runtime_error naming
// the file, the problem and the tensor: short file, header length beyond the file or over
// 100 MB, invalid JSON, a non-object entry, missing or ill-typed fields, an unknown or
// unsupported dtype, a negative or overflowing shape, byte count != numel * dtype size,
// begin > end, offsets outside the buffer, tensors that overlap or leave gaps. Never reads
// out of bounds, and allocates at most the file's size whatever the header claims.
SafetensorsFile load_safetensors(const std::string& path);
// The same checks on a file image in memory (load_safetensors maps the file and calls this;
// also the fuzzing entry point). `path` names the source in errors.
SafetensorsFile parse_safetensors(const uint8_t* data, uint64_t size, const std::string& path);

// "F32" <-> DType::f32 and so on; the name throws std::invalid_argument when unknown.
const char* safetensors_dtype_name(DType dt);

}  // namespace he
