#pragma once
// Whole-file reads (plain or gzip), a read-only memory mapping and FNV-1a hashing.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace he::data {

// True when the file starts with the gzip magic 1f 8b. Throws if it cannot be opened.
bool is_gzip_file(const std::string& path);

// The file's bytes; gzip files (detected by magic) are inflated. Memory grows with the data
// actually read, never from a size claimed inside the file. Throws naming the file on a
// missing file, a read error, a corrupt or truncated gzip stream, or more than max_bytes.
std::vector<uint8_t> read_file_bytes(const std::string& path,
                                     uint64_t max_bytes = uint64_t{1} << 34);

// The in-memory half of read_file_bytes (also the fuzzing entry point): inflates a gzip
// image of one or more concatenated members; a truncated or corrupt stream, trailing bytes
// or more than max_bytes of output throw naming `name`.
std::vector<uint8_t> inflate_gzip(const uint8_t* data, size_t size, const std::string& name,
                                  uint64_t max_bytes = uint64_t{1} << 34);
// `bytes` read from `name`: inflated when they start with the gzip magic 1f 8b, else as is.
std::vector<uint8_t> maybe_inflate(std::vector<uint8_t> bytes, const std::string& name,
                                   uint64_t max_bytes = uint64_t{1} << 34);

// Read-only mmap of a whole file; unmapped on destruction.
class MappedFile {
 public:
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  const uint8_t* data() const { return static_cast<const uint8_t*>(addr_); }
  uint64_t size() const { return size_; }

 private:
  void* addr_ = nullptr;
  uint64_t size_ = 0;
};

// 64-bit FNV-1a, chainable through `h`.
constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;
uint64_t fnv1a(const void* data, size_t n, uint64_t h = kFnvOffset);
inline uint64_t fnv1a(std::string_view s, uint64_t h = kFnvOffset) {
  return fnv1a(s.data(), s.size(), h);
}

}  // namespace he::data
