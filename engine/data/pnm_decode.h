#pragma once
// Binary PGM/PPM (P5/P6) decoding, done here rather than by stb_image 2.27, which ignores the
// maximum value, reads 16-bit samples in the wrong byte order and overruns its buffer when
// converting them to another channel count (found by fuzz_image).
#include <cstdint>
#include <string>
#include <vector>

namespace he::data {

// True when `bytes` starts like a binary PNM ("P5" or "P6").
bool is_binary_pnm(const std::vector<uint8_t>& bytes);

// Decodes a P5/P6 file to `channels` (1 or 3) interleaved u8 samples, scaled from 0..maxval
// to 0..255 (grey from RGB by stb's luma, (77 R + 150 G + 29 B) >> 8, as for other formats).
// Throws naming `path` and the header field or the shortfall; never reads past `bytes` and
// allocates no more than the pixel data the file holds.
std::vector<uint8_t> decode_pnm(const std::vector<uint8_t>& bytes, const std::string& path,
                                int channels, int& width, int& height);

}  // namespace he::data
