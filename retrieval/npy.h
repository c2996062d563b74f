#pragma once
// NumPy .npy files, format versions 1.0, 2.0 and 3.0 read, 1.0 written when the header fits
// (2.0 otherwise). Little-endian C-order arrays of dtype bool, u1, i1, i4, i8, f4, f8.
// Anything else (Fortran order, big-endian, object or other dtypes, a truncated or
// malformed header, data of the wrong size) throws std::runtime_error naming the file and
// the problem. Reads never go past the file and allocate at most the file's size.
#include <cstdint>
#include <string>
#include <vector>

#include "retrieval/codes.h"

namespace he::retrieval {

struct NpyArray {
  std::string dtype;           // "bool", "u1", "i1", "i4", "i8", "f4", "f8"
  std::vector<int64_t> shape;  // C order
  std::vector<uint8_t> bytes;  // little-endian element data
  int64_t count() const;       // product of shape (1 for a scalar)
  size_t item_size() const;
};

NpyArray read_npy(const std::string& path);
// Parses an in-memory .npy image; `name` is used in error messages.
NpyArray parse_npy(const uint8_t* data, size_t size, const std::string& name);
// "float32 (1000, 4)": what a .npy file holds, for error messages.
std::string npy_describe(const NpyArray& a);
void write_npy(const std::string& path, const NpyArray& a);
// The full file image write_npy would produce.
std::vector<uint8_t> encode_npy(const NpyArray& a);

size_t npy_item_size(const std::string& dtype);  // throws on an unknown dtype

// Typed helpers: make an array from raw values; convert any integer/bool array to i64,
// any numeric array to f32 / f64 (throws if a conversion would need an unsupported dtype).
NpyArray npy_from(const std::vector<int64_t>& shape, const int64_t* v);
NpyArray npy_from(const std::vector<int64_t>& shape, const int32_t* v);
NpyArray npy_from(const std::vector<int64_t>& shape, const float* v);
NpyArray npy_from(const std::vector<int64_t>& shape, const double* v);
NpyArray npy_from(const std::vector<int64_t>& shape, const uint8_t* v);
std::vector<int64_t> npy_to_i64(const NpyArray& a, const std::string& what);
std::vector<float> npy_to_f32(const NpyArray& a, const std::string& what);

// Codes from an array: u1 (n, nbytes) in numpy.packbits layout (bits = 8 * nbytes unless
// given), or (n, bits) of +-1 / 0-1 values: integers and bools give bit = v > 0; floats
// give bit = v >= 0 (sign(0) = +1) unless every value is 0 or 1 (then bit = v > 0).
PackedCodes codes_from_npy(const NpyArray& a, const std::string& what, int bits = 0);
// Codes -> u1 (n, ceil(bits/8)) in numpy.packbits layout.
NpyArray codes_to_npy(const PackedCodes& c);

}  // namespace he::retrieval
