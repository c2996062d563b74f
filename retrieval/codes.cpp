#include "retrieval/codes.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/hash.h"

namespace he::retrieval {

namespace {

std::shared_ptr<uint64_t> alloc_words(size_t count) {
  size_t bytes = ((count * sizeof(uint64_t) + 63) / 64) * 64;
  if (bytes == 0) bytes = 64;
  void* p = std::aligned_alloc(64, bytes);
  if (!p) throw std::bad_alloc();
  std::memset(p, 0, bytes);
  return std::shared_ptr<uint64_t>(static_cast<uint64_t*>(p), [](uint64_t* q) { std::free(q); });
}

void check_bits(int bits, const char* op) {
  if (bits < 1 || bits > (1 << 15))
    throw std::invalid_argument(std::string(op) + ": bits must be in [1, 32768], got " +
                                std::to_string(bits));
}

// The fused sign kernel packs, so that codes made here and codes made by the sign_ste op
// share one definition of a bit. It also writes sign(x) as +-1; that scratch is taken in
// blocks of rows to bound its size.
template <class T>
PackedCodes pack_by_sign(const T* x, size_t n, int bits) {
  PackedCodes c(n, bits);
  constexpr size_t kRowsPerBlock = 4096;
  std::vector<T> scratch(std::min(n, kRowsPerBlock) * static_cast<size_t>(bits));
  for (size_t at = 0; at < n; at += kRowsPerBlock) {
    const size_t rows = std::min(kRowsPerBlock, n - at);
    kernels::cpu::sign_pack(x + at * bits, scratch.data(),
                            c.mutable_data() + at * c.words_per_code(), static_cast<int64_t>(rows),
                            bits);
  }
  return c;
}

}  // namespace

PackedCodes::PackedCodes(size_t n, int bits) : n_(n), bits_(bits), words_(words_for_bits(bits)) {
  check_bits(bits, "PackedCodes");
  auto p = alloc_words(n * words_);
  data_ = p.get();
  writable_ = true;
  storage_ = std::move(p);
}

PackedCodes PackedCodes::view(const uint64_t* words, size_t n, int bits,
                              std::shared_ptr<const void> keepalive) {
  check_bits(bits, "PackedCodes::view");
  PackedCodes c;
  c.n_ = n;
  c.bits_ = bits;
  c.words_ = words_for_bits(bits);
  c.data_ = words;
  c.storage_ = std::move(keepalive);
  return c;
}

uint64_t* PackedCodes::mutable_data() {
  if (!writable_) throw std::logic_error("PackedCodes: codes are a read-only view");
  return const_cast<uint64_t*>(data_);
}

void PackedCodes::set_bit(size_t i, int j, bool v) {
  uint64_t& w = mutable_data()[i * words_ + j / 64];
  uint64_t m = uint64_t{1} << (j % 64);
  w = v ? (w | m) : (w & ~m);
}

PackedCodes PackedCodes::slice(size_t begin, size_t count) const {
  if (begin + count > n_) throw std::out_of_range("PackedCodes::slice: rows out of range");
  PackedCodes c(count, bits_);
  if (count) std::memcpy(c.mutable_data(), row(begin), count * words_ * sizeof(uint64_t));
  return c;
}

bool PackedCodes::operator==(const PackedCodes& o) const {
  return n_ == o.n_ && bits_ == o.bits_ &&
         (n_ == 0 || std::memcmp(data_, o.data_, n_ * words_ * sizeof(uint64_t)) == 0);
}

PackedCodes pack_signs(const float* x, size_t n, int bits) { return pack_by_sign(x, n, bits); }
PackedCodes pack_signs(const double* x, size_t n, int bits) { return pack_by_sign(x, n, bits); }

std::vector<float> unpack_signs(const PackedCodes& c) {
  std::vector<float> out(c.size() * c.bits());
  for (size_t i = 0; i < c.size(); ++i)
    for (int j = 0; j < c.bits(); ++j) out[i * c.bits() + j] = c.bit(i, j) ? 1.0f : -1.0f;
  return out;
}

std::vector<double> bit_balance(const PackedCodes& c) {
  std::vector<int64_t> ones(c.bits(), 0);
  for (size_t i = 0; i < c.size(); ++i)
    for (int j = 0; j < c.bits(); ++j) ones[j] += c.bit(i, j);
  std::vector<double> out(c.bits(), 0.0);
  if (c.size() > 0)
    for (int j = 0; j < c.bits(); ++j) out[j] = static_cast<double>(ones[j]) / c.size();
  return out;
}

std::vector<uint8_t> to_bytes(const PackedCodes& c) {
  const size_t nb = (c.bits() + 7) / 8;
  std::vector<uint8_t> out(c.size() * nb, 0);
  for (size_t i = 0; i < c.size(); ++i)
    for (size_t b = 0; b < nb; ++b) {
      // byte b holds code bits 8b..8b+7, code bit 8b+t at position 7-t.
      uint8_t v = static_cast<uint8_t>(c.row(i)[b / 8] >> (8 * (b % 8)));
      uint8_t r = 0;
      for (int t = 0; t < 8; ++t) r |= static_cast<uint8_t>(((v >> t) & 1) << (7 - t));
      out[i * nb + b] = r;
    }
  return out;
}

PackedCodes from_bytes(const uint8_t* bytes, size_t n, int bits) {
  PackedCodes c(n, bits);
  const size_t nb = (bits + 7) / 8;
  const size_t W = c.words_per_code();
  uint64_t* w = c.mutable_data();
  const int spare = static_cast<int>(nb * 8) - bits;
  for (size_t i = 0; i < n; ++i)
    for (size_t b = 0; b < nb; ++b) {
      uint8_t v = bytes[i * nb + b];
      if (b == nb - 1 && spare > 0 && (v & ((1u << spare) - 1)))
        throw std::invalid_argument("from_bytes: row " + std::to_string(i) +
                                    " has bits set beyond bit length " + std::to_string(bits));
      uint8_t r = 0;
      for (int t = 0; t < 8; ++t) r |= static_cast<uint8_t>(((v >> (7 - t)) & 1) << t);
      w[i * W + b / 8] |= uint64_t{r} << (8 * (b % 8));
    }
  return c;
}

}  // namespace he::retrieval
