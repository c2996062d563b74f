#pragma once
// Packed binary codes: n rows of words_per_code() u64 words, 64-byte aligned.
// Bit j of a code is bit (j % 64) of word j / 64 (least significant first); unused high
// bits of the last word are zero. A 1 bit means +1, a 0 bit means -1 (sign(0) = +1).
// The byte layout of numpy.packbits / FAISS binary codes is most significant bit first:
// bit j of a code is bit 7 - (j % 8) of byte j / 8; to_bytes / from_bytes convert.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace he::retrieval {

inline size_t words_for_bits(int bits) { return (static_cast<size_t>(bits) + 63) / 64; }

class PackedCodes {
 public:
  PackedCodes() = default;
  // n zeroed codes of `bits` bits, owned. Throws std::invalid_argument if bits < 1.
  PackedCodes(size_t n, int bits);
  // A read-only view on external words (e.g. a memory-mapped index file); keepalive owns them.
  static PackedCodes view(const uint64_t* words, size_t n, int bits,
                          std::shared_ptr<const void> keepalive);

  size_t size() const { return n_; }
  int bits() const { return bits_; }
  size_t words_per_code() const { return words_; }
  const uint64_t* data() const { return data_; }
  uint64_t* mutable_data();  // throws std::logic_error on a read-only view
  const uint64_t* row(size_t i) const { return data_ + i * words_; }
  bool bit(size_t i, int j) const { return (row(i)[j / 64] >> (j % 64)) & 1; }
  void set_bit(size_t i, int j, bool v);
  // Rows [begin, begin + count) copied into a new owned set.
  PackedCodes slice(size_t begin, size_t count) const;
  bool operator==(const PackedCodes& o) const;

 private:
  size_t n_ = 0;
  int bits_ = 0;
  size_t words_ = 0;
  const uint64_t* data_ = nullptr;
  bool writable_ = false;
  std::shared_ptr<const void> storage_;
};

// x:(n,bits) f32/f64 -> codes, bit = 1 where x >= 0 (sign(0) = +1): the fused sign kernel
// (kernels/hash.h sign_pack) that the sign_ste op also runs.
PackedCodes pack_signs(const float* x, size_t n, int bits);
PackedCodes pack_signs(const double* x, size_t n, int bits);
// codes -> (n,bits) f32 of +-1.
std::vector<float> unpack_signs(const PackedCodes& codes);
// The fraction of codes with bit j = 1 (+1), for each j: (bits) values in [0,1]. A balanced
// code has every bit near 0.5; a bit stuck at 0 or 1 carries no information.
std::vector<double> bit_balance(const PackedCodes& codes);
// codes -> (n, ceil(bits/8)) u8, numpy.packbits / FAISS layout (MSB first in each byte).
std::vector<uint8_t> to_bytes(const PackedCodes& codes);
// bytes:(n, ceil(bits/8)) u8 in numpy.packbits layout -> codes. Bits beyond `bits` in the
// last byte must be zero (throws std::invalid_argument otherwise).
PackedCodes from_bytes(const uint8_t* bytes, size_t n, int bits);

}  // namespace he::retrieval
