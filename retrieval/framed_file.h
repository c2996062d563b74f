#pragma once
// The frame that hashengine's binary files share (index_file.h, quant_index_file.h):
//   [64-byte header: 8-byte magic, u32 version at 8, the format's fields, u32 CRC-32 of
//    bytes 0..43 at 44] [payload] [u32 CRC-32 of the payload, "HEND"]
// all little-endian. A format describes its own fields and payload; this file writes the frame
// atomically and checks it, so a truncated, corrupted or foreign file is refused with an error
// naming the file and what is wrong, before any of its fields are trusted.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace he::retrieval {

struct FrameFormat {
  char magic[8];
  uint32_t version;
  const char* name;  // "index", "quantised index": in "PATH: invalid <name> file: ..."
};

constexpr size_t kFrameHeader = 64, kFrameTrailer = 8;

template <class T>
void put_field(uint8_t* p, size_t off, T v) {
  std::memcpy(p + off, &v, sizeof v);
}
template <class T>
T get_field(const uint8_t* p, size_t off) {
  T v;
  std::memcpy(&v, p + off, sizeof v);
  return v;
}

// Throws std::runtime_error "PATH: invalid <name> file: WHAT".
[[noreturn]] void bad_frame(const FrameFormat& f, const std::string& path, const std::string& what);

// A header with the format's magic and version written in, the rest zero.
std::vector<uint8_t> frame_header(const FrameFormat& f);

// Writes header (kFrameHeader bytes; its CRC is filled in here), the payload parts and the
// trailer to `path` atomically (write_file_atomic).
void write_framed(const FrameFormat& f, const std::string& path, std::vector<uint8_t> header,
                  const std::vector<const void*>& parts, const std::vector<size_t>& sizes);

// The checks that need no field: at least a header and trailer, magic, header CRC, version.
void check_frame_header(const FrameFormat& f, const uint8_t* p, size_t size,
                        const std::string& path);

// Once the format has matched `size` to its fields: the end marker and, when `verify`, the
// payload CRC.
void check_frame_trailer(const FrameFormat& f, const uint8_t* p, size_t size,
                         const std::string& path, bool verify);

// "size is S bytes but the header describes E (truncated | trailing bytes)" unless equal.
void check_frame_size(const FrameFormat& f, size_t size, uint64_t expect, const std::string& path);

}  // namespace he::retrieval
