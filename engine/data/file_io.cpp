#include "engine/data/file_io.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

#include <fmt/format.h>

namespace he::data {
namespace {

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<FILE, FileCloser>;

FilePtr open_or_throw(const std::string& path) {
  FilePtr f(std::fopen(path.c_str(), "rb"));
  if (!f) throw std::runtime_error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  return f;
}

std::vector<uint8_t> read_plain(const std::string& path, uint64_t max_bytes) {
  FilePtr f = open_or_throw(path);
  std::vector<uint8_t> out;
  uint8_t chunk[1 << 16];
  size_t got;
  while ((got = std::fread(chunk, 1, sizeof chunk, f.get())) > 0) {
    if (out.size() + got > max_bytes)
      throw std::runtime_error(fmt::format("{}: larger than {} bytes", path, max_bytes));
    out.insert(out.end(), chunk, chunk + got);
  }
  if (std::ferror(f.get())) throw std::runtime_error(fmt::format("{}: read error", path));
  return out;
}

}  // namespace

std::vector<uint8_t> inflate_gzip(const uint8_t* data, size_t size, const std::string& name,
                                  uint64_t max_bytes) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
    throw std::runtime_error(fmt::format("{}: cannot start gzip inflation", name));
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&zs, inflateEnd);
  std::vector<uint8_t> out;
  uint8_t chunk[1 << 16];
  size_t pos = 0;  // input consumed so far
  // One member after another (gzip allows concatenation); anything else after a member is
  // an error, as is a stream that ends early.
  for (;;) {
    zs.next_in = const_cast<Bytef*>(data + pos);
    zs.avail_in = static_cast<uInt>(std::min<size_t>(size - pos, 1u << 30));
    zs.next_out = chunk;
    zs.avail_out = sizeof chunk;
    const uInt in_before = zs.avail_in;
    const int rc = inflate(&zs, Z_NO_FLUSH);
    pos += in_before - zs.avail_in;
    const size_t got = sizeof chunk - zs.avail_out;
    if (out.size() + got > max_bytes)
      throw std::runtime_error(fmt::format("{}: inflates to more than {} bytes", name, max_bytes));
    out.insert(out.end(), chunk, chunk + got);
    if (rc == Z_STREAM_END) {
      if (pos == size) return out;
      if (size - pos < 2 || data[pos] != 0x1f || data[pos + 1] != 0x8b)
        throw std::runtime_error(fmt::format(
            "{}: {} trailing bytes after the gzip data at offset {}", name, size - pos, pos));
      inflateReset(&zs);
    } else if (rc != Z_OK && !(rc == Z_BUF_ERROR && got > 0)) {
      throw std::runtime_error(
          fmt::format("{}: corrupt gzip data at input offset {} after {} inflated bytes: {}", name,
                      pos, out.size(), zs.msg ? zs.msg : "unexpected end of data"));
    } else if (got == 0 && pos == size) {
      throw std::runtime_error(
          fmt::format("{}: truncated gzip data: the stream ends early after {} inflated bytes",
                      name, out.size()));
    }
  }
}

std::vector<uint8_t> maybe_inflate(std::vector<uint8_t> bytes, const std::string& name,
                                   uint64_t max_bytes) {
  if (bytes.size() < 2 || bytes[0] != 0x1f || bytes[1] != 0x8b) return bytes;
  return inflate_gzip(bytes.data(), bytes.size(), name, max_bytes);
}

bool is_gzip_file(const std::string& path) {
  FilePtr f = open_or_throw(path);
  uint8_t magic[2] = {0, 0};
  size_t got = std::fread(magic, 1, 2, f.get());
  return got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

std::vector<uint8_t> read_file_bytes(const std::string& path, uint64_t max_bytes) {
  return maybe_inflate(read_plain(path, max_bytes), path, max_bytes);
}

MappedFile::MappedFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw std::runtime_error(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    throw std::runtime_error(fmt::format("{}: cannot stat", path));
  }
  size_ = static_cast<uint64_t>(st.st_size);
  if (size_ > 0) {
    addr_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (addr_ == MAP_FAILED) {
      addr_ = nullptr;
      ::close(fd);
      throw std::runtime_error(fmt::format("{}: mmap failed: {}", path, std::strerror(errno)));
    }
  }
  ::close(fd);
}

MappedFile::~MappedFile() {
  if (addr_) ::munmap(addr_, size_);
}

uint64_t fnv1a(const void* data, size_t n, uint64_t h) {
  const auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

}  // namespace he::data
