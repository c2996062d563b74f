#include "retrieval/framed_file.h"

#include <zlib.h>

#include <stdexcept>

#include "retrieval/file_util.h"

namespace he::retrieval {

namespace {
constexpr char kEnd[4] = {'H', 'E', 'N', 'D'};
constexpr size_t kHeaderCrcAt = 44;

uint32_t crc(const void* p, size_t n, uint32_t start = 0) {
  return static_cast<uint32_t>(crc32_z(start, static_cast<const Bytef*>(p), n));
}
}  // namespace

void bad_frame(const FrameFormat& f, const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": invalid " + f.name + " file: " + what);
}

std::vector<uint8_t> frame_header(const FrameFormat& f) {
  std::vector<uint8_t> h(kFrameHeader, 0);
  std::memcpy(h.data(), f.magic, 8);
  put_field<uint32_t>(h.data(), 8, f.version);
  return h;
}

void write_framed(const FrameFormat& f, const std::string& path, std::vector<uint8_t> header,
                  const std::vector<const void*>& parts, const std::vector<size_t>& sizes) {
  if (header.size() != kFrameHeader || std::memcmp(header.data(), f.magic, 8) != 0)
    throw std::logic_error("write_framed: the header must be frame_header()'s");
  put_field<uint32_t>(header.data(), kHeaderCrcAt, crc(header.data(), kHeaderCrcAt));
  std::vector<const void*> all = {header.data()};
  std::vector<size_t> all_sizes = {kFrameHeader};
  uint32_t body = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    all.push_back(parts[i]), all_sizes.push_back(sizes[i]);
    if (sizes[i]) body = crc(parts[i], sizes[i], body);
  }
  uint8_t t[kFrameTrailer];
  put_field<uint32_t>(t, 0, body);
  std::memcpy(t + 4, kEnd, 4);
  all.push_back(t), all_sizes.push_back(kFrameTrailer);
  write_file_atomic(path, all, all_sizes);
}

void check_frame_header(const FrameFormat& f, const uint8_t* p, size_t size,
                        const std::string& path) {
  if (size < kFrameHeader + kFrameTrailer)
    bad_frame(f, path, "file of " + std::to_string(size) + " bytes is truncated");
  if (std::memcmp(p, f.magic, 8) != 0)
    bad_frame(f, path, std::string("bad magic (not a hashengine ") + f.name + ")");
  if (get_field<uint32_t>(p, kHeaderCrcAt) != crc(p, kHeaderCrcAt))
    bad_frame(f, path, "header checksum mismatch (corrupted header)");
  const uint32_t version = get_field<uint32_t>(p, 8);
  if (version != f.version) bad_frame(f, path, "unsupported version " + std::to_string(version));
}

void check_frame_size(const FrameFormat& f, size_t size, uint64_t expect, const std::string& path) {
  if (expect != size)
    bad_frame(f, path,
              "size is " + std::to_string(size) + " bytes but the header describes " +
                  std::to_string(expect) + (size < expect ? " (truncated)" : " (trailing bytes)"));
}

void check_frame_trailer(const FrameFormat& f, const uint8_t* p, size_t size,
                         const std::string& path, bool verify) {
  if (std::memcmp(p + size - 4, kEnd, 4) != 0) bad_frame(f, path, "missing end marker");
  if (verify && get_field<uint32_t>(p, size - kFrameTrailer) !=
                    crc(p + kFrameHeader, size - kFrameHeader - kFrameTrailer))
    bad_frame(f, path, "payload checksum mismatch (corrupted data)");
}

}  // namespace he::retrieval
