#include "engine/data/file_io.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

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

std::vector<uint8_t> read_gzip(const std::string& path, uint64_t max_bytes) {
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) throw std::runtime_error(fmt::format("{}: cannot open gzip stream", path));
  std::unique_ptr<gzFile_s, int (*)(gzFile)> guard(gz, gzclose);
  gzbuffer(gz, 1 << 17);
  std::vector<uint8_t> out;
  uint8_t chunk[1 << 16];
  for (;;) {
    int got = gzread(gz, chunk, sizeof chunk);
    if (got < 0) {
      int err = 0;
      const char* msg = gzerror(gz, &err);
      throw std::runtime_error(
          fmt::format("{}: corrupt gzip data after {} inflated bytes: {}", path, out.size(), msg));
    }
    if (got == 0) break;
    if (out.size() + got > max_bytes)
      throw std::runtime_error(fmt::format("{}: inflates to more than {} bytes", path, max_bytes));
    out.insert(out.end(), chunk, chunk + got);
  }
  int err = 0;
  const char* msg = gzerror(gz, &err);
  // zlib reports a stream cut short as Z_BUF_ERROR ("unexpected end of file") at EOF.
  if (err != Z_OK && err != Z_STREAM_END)
    throw std::runtime_error(
        fmt::format("{}: truncated or corrupt gzip data after {} inflated "
                    "bytes: {}",
                    path, out.size(), msg));
  return out;
}

}  // namespace

bool is_gzip_file(const std::string& path) {
  FilePtr f = open_or_throw(path);
  uint8_t magic[2] = {0, 0};
  size_t got = std::fread(magic, 1, 2, f.get());
  return got == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
}

std::vector<uint8_t> read_file_bytes(const std::string& path, uint64_t max_bytes) {
  return is_gzip_file(path) ? read_gzip(path, max_bytes) : read_plain(path, max_bytes);
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
