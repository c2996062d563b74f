#include "retrieval/npy.h"

#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <stdexcept>

#include "retrieval/file_util.h"

namespace he::retrieval {

namespace {

const char kMagic[] = "\x93NUMPY";

[[noreturn]] void fail(const std::string& name, const std::string& what) {
  throw std::runtime_error(name + ": not a supported .npy file: " + what);
}

struct Header {
  std::string descr;
  bool fortran = false;
  std::vector<int64_t> shape;
};

// Parses numpy's header dict: {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
Header parse_header(const std::string& h, const std::string& name) {
  Header out;
  bool seen_descr = false, seen_fortran = false, seen_shape = false;
  size_t i = 0;
  auto skip = [&] {
    while (i < h.size() && (h[i] == ' ' || h[i] == '\n' || h[i] == '\t')) ++i;
  };
  auto expect = [&](char c) {
    skip();
    if (i >= h.size() || h[i] != c) fail(name, std::string("header: expected '") + c + "'");
    ++i;
  };
  auto quoted = [&] {
    skip();
    if (i >= h.size() || (h[i] != '\'' && h[i] != '"')) fail(name, "header: expected a string");
    char q = h[i++];
    size_t e = h.find(q, i);
    if (e == std::string::npos) fail(name, "header: unterminated string");
    std::string s = h.substr(i, e - i);
    i = e + 1;
    return s;
  };
  expect('{');
  for (;;) {
    skip();
    if (i < h.size() && h[i] == '}') break;
    std::string key = quoted();
    expect(':');
    skip();
    if (key == "descr") {
      out.descr = quoted();
      seen_descr = true;
    } else if (key == "fortran_order") {
      if (h.compare(i, 4, "True") == 0)
        out.fortran = true, i += 4;
      else if (h.compare(i, 5, "False") == 0)
        i += 5;
      else
        fail(name, "header: fortran_order must be True or False");
      seen_fortran = true;
    } else if (key == "shape") {
      expect('(');
      for (;;) {
        skip();
        if (i < h.size() && h[i] == ')') break;
        size_t start = i;
        while (i < h.size() && h[i] >= '0' && h[i] <= '9') ++i;
        if (i == start || i - start > 18) fail(name, "header: bad shape entry");
        out.shape.push_back(std::stoll(h.substr(start, i - start)));
        skip();
        if (i < h.size() && h[i] == ',') ++i;
      }
      ++i;
      seen_shape = true;
    } else {
      fail(name, "header: unknown key '" + key + "'");
    }
    skip();
    if (i < h.size() && h[i] == ',') ++i;
  }
  if (!seen_descr || !seen_fortran || !seen_shape)
    fail(name, "header lacks descr, fortran_order or shape");
  return out;
}

std::string dtype_from_descr(const std::string& d, const std::string& name) {
  if (d.size() < 2) fail(name, "dtype '" + d + "'");
  const char order = d[0];
  const std::string t = d.substr(1);
  if (t == "b1" || t == "u1" || t == "i1") {
    if (order != '|' && order != '<' && order != '>' && order != '=')
      fail(name, "dtype '" + d + "'");
    return t == "b1" ? "bool" : t;
  }
  if (t == "i4" || t == "i8" || t == "f4" || t == "f8") {
    if (order == '>')
      fail(name, "big-endian dtype '" + d + "' (convert with astype('<" + t + "'))");
    if (order != '<' && order != '=') fail(name, "dtype '" + d + "'");
    return t;
  }
  fail(name, "unsupported dtype '" + d + "' (supported: bool, u1, i1, i4, i8, f4, f8)");
}

std::string descr_of(const std::string& dtype) {
  if (dtype == "bool") return "|b1";
  if (dtype == "u1" || dtype == "i1") return "|" + dtype;
  npy_item_size(dtype);
  return "<" + dtype;
}

template <class T>
NpyArray make(const char* dtype, const std::vector<int64_t>& shape, const T* v) {
  NpyArray a{dtype, shape, {}};
  a.bytes.resize(a.count() * sizeof(T));
  if (!a.bytes.empty()) std::memcpy(a.bytes.data(), v, a.bytes.size());
  return a;
}

template <class Out>
std::vector<Out> convert(const NpyArray& a, const std::string& what, bool allow_float) {
  const int64_t n = a.count();
  std::vector<Out> out(n);
  auto run = [&](auto tag) {
    using T = decltype(tag);
    for (int64_t i = 0; i < n; ++i) {
      T v;
      std::memcpy(&v, a.bytes.data() + i * sizeof(T), sizeof(T));
      out[i] = static_cast<Out>(v);
    }
  };
  if (a.dtype == "bool" || a.dtype == "u1")
    run(uint8_t{});
  else if (a.dtype == "i1")
    run(int8_t{});
  else if (a.dtype == "i4")
    run(int32_t{});
  else if (a.dtype == "i8")
    run(int64_t{});
  else if (allow_float && a.dtype == "f4")
    run(float{});
  else if (allow_float && a.dtype == "f8")
    run(double{});
  else
    throw std::runtime_error(what + ": expected an integer array, got dtype " + a.dtype);
  return out;
}

}  // namespace

size_t npy_item_size(const std::string& dtype) {
  if (dtype == "bool" || dtype == "u1" || dtype == "i1") return 1;
  if (dtype == "i4" || dtype == "f4") return 4;
  if (dtype == "i8" || dtype == "f8") return 8;
  throw std::invalid_argument("npy: unsupported dtype '" + dtype + "'");
}

int64_t NpyArray::count() const {
  int64_t c = 1;
  for (int64_t d : shape) c *= d;
  return c;
}
size_t NpyArray::item_size() const { return npy_item_size(dtype); }

NpyArray parse_npy(const uint8_t* data, size_t size, const std::string& name) {
  if (size < 10 || std::memcmp(data, kMagic, 6) != 0) fail(name, "missing \\x93NUMPY magic");
  const int major = data[6];
  size_t hlen, pos;
  if (major == 1) {
    hlen = data[8] | (size_t{data[9]} << 8);
    pos = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) fail(name, "truncated header length");
    hlen = data[8] | (size_t{data[9]} << 8) | (size_t{data[10]} << 16) | (size_t{data[11]} << 24);
    pos = 12;
  } else {
    fail(name, "format version " + std::to_string(major) + "." + std::to_string(data[7]));
  }
  if (hlen > size - pos)
    fail(name, "header of " + std::to_string(hlen) + " bytes runs past the end of the file (" +
                   std::to_string(size) + " bytes)");
  Header h = parse_header(std::string(reinterpret_cast<const char*>(data + pos), hlen), name);
  if (h.fortran) fail(name, "Fortran-order array (save with np.ascontiguousarray)");
  NpyArray a;
  a.dtype = dtype_from_descr(h.descr, name);
  a.shape = h.shape;
  const size_t avail = size - pos - hlen;
  // count * item_size without overflow, checked against the bytes actually present.
  unsigned __int128 need = a.item_size();
  for (int64_t d : a.shape) {
    need *= static_cast<uint64_t>(d);
    if (need > std::numeric_limits<uint64_t>::max()) fail(name, "shape too large");
  }
  if (need != avail)
    fail(name, "data is " + std::to_string(avail) + " bytes but shape and dtype " + a.dtype +
                   " need " + std::to_string(static_cast<uint64_t>(need)) +
                   (need > avail ? " (truncated)" : " (trailing bytes)"));
  a.bytes.assign(data + pos + hlen, data + size);
  return a;
}

NpyArray read_npy(const std::string& path) {
  std::ifstream f(path, std::ios::binary | std::ios::ate);
  if (!f) throw std::runtime_error(path + ": cannot open");
  const std::streamoff size = f.tellg();
  if (size < 0) throw std::runtime_error(path + ": cannot determine size");
  std::vector<uint8_t> buf(static_cast<size_t>(size));  // bounded by the file size
  f.seekg(0);
  if (size > 0 && !f.read(reinterpret_cast<char*>(buf.data()), size))
    throw std::runtime_error(path + ": read failed");
  return parse_npy(buf.data(), buf.size(), path);
}

std::vector<uint8_t> encode_npy(const NpyArray& a) {
  if (static_cast<size_t>(a.count()) * a.item_size() != a.bytes.size())
    throw std::invalid_argument("write_npy: " + std::to_string(a.bytes.size()) +
                                " data bytes do not match shape and dtype " + a.dtype);
  std::string h = "{'descr': '" + descr_of(a.dtype) + "', 'fortran_order': False, 'shape': (";
  for (size_t i = 0; i < a.shape.size(); ++i) h += std::to_string(a.shape[i]) + ", ";
  if (a.shape.size() > 1)
    h.resize(h.size() - 2);
  else if (a.shape.size() == 1)
    h.resize(h.size() - 1);
  h += "), }";
  auto padded = [&](size_t pre) { return ((pre + h.size() + 1 + 63) / 64) * 64; };
  const bool v1 = padded(10) - 10 <= 65535;  // 1.0 stores the header length in 16 bits
  const size_t pre = v1 ? 10 : 12;
  const size_t total = padded(pre);  // data starts 64-byte aligned
  h.append(total - pre - h.size() - 1, ' ');
  h += '\n';
  std::vector<uint8_t> out(kMagic, kMagic + 6);
  out.push_back(v1 ? 1 : 2);
  out.push_back(0);
  const size_t hl = h.size();
  for (size_t b = 0; b < (v1 ? 2u : 4u); ++b) out.push_back(static_cast<uint8_t>(hl >> (8 * b)));
  out.insert(out.end(), h.begin(), h.end());
  out.insert(out.end(), a.bytes.begin(), a.bytes.end());
  return out;
}

void write_npy(const std::string& path, const NpyArray& a) {
  std::vector<uint8_t> img = encode_npy(a);
  write_file_atomic(path, {img.data()}, {img.size()});
}

NpyArray npy_from(const std::vector<int64_t>& s, const int64_t* v) { return make("i8", s, v); }
NpyArray npy_from(const std::vector<int64_t>& s, const int32_t* v) { return make("i4", s, v); }
NpyArray npy_from(const std::vector<int64_t>& s, const float* v) { return make("f4", s, v); }
NpyArray npy_from(const std::vector<int64_t>& s, const double* v) { return make("f8", s, v); }
NpyArray npy_from(const std::vector<int64_t>& s, const uint8_t* v) { return make("u1", s, v); }

std::vector<int64_t> npy_to_i64(const NpyArray& a, const std::string& what) {
  return convert<int64_t>(a, what, false);
}
std::vector<float> npy_to_f32(const NpyArray& a, const std::string& what) {
  return convert<float>(a, what, true);
}

PackedCodes codes_from_npy(const NpyArray& a, const std::string& what, int bits) {
  if (a.shape.size() != 2)
    throw std::runtime_error(what + ": codes must be a 2-D array (n, bits) or (n, bytes)");
  const size_t n = a.shape[0], cols = a.shape[1];
  // A file can claim any width (with n = 0 it holds no data at all); codes have 1..32768 bits.
  const size_t max_cols = a.dtype == "u1" ? 32768 / 8 : 32768;
  if (cols == 0 || cols > max_cols)
    throw std::runtime_error(what + ": " + std::to_string(cols) +
                             (a.dtype == "u1" ? " bytes" : " values") +
                             " per row: codes must have 1 to 32768 bits");
  if (a.dtype == "u1") {
    if (bits == 0) bits = static_cast<int>(8 * cols);
    if (cols != (static_cast<size_t>(bits) + 7) / 8)
      throw std::runtime_error(what + ": " + std::to_string(cols) + " bytes per row cannot hold " +
                               std::to_string(bits) + "-bit packed codes");
    return from_bytes(a.bytes.data(), n, bits);
  }
  if (bits != 0 && static_cast<size_t>(bits) != cols)
    throw std::runtime_error(what + ": " + std::to_string(cols) + " columns but --bits " +
                             std::to_string(bits));
  std::vector<float> v = npy_to_f32(a, what);
  bool zero_is_minus = a.dtype != "f4" && a.dtype != "f8";
  if (!zero_is_minus) {  // float: 0/1 codes if every value is 0 or 1, else signs
    zero_is_minus = true;
    for (float x : v) zero_is_minus = zero_is_minus && (x == 0.0f || x == 1.0f);
  }
  for (float& x : v) x = (x > 0 || (x == 0 && !zero_is_minus)) ? 1.0f : -1.0f;
  return pack_signs(v.data(), n, static_cast<int>(cols));
}

NpyArray codes_to_npy(const PackedCodes& c) {
  std::vector<uint8_t> b = to_bytes(c);
  return npy_from({static_cast<int64_t>(c.size()), static_cast<int64_t>((c.bits() + 7) / 8)},
                  b.data());
}

std::string npy_describe(const NpyArray& a) {
  static const std::map<std::string, std::string> names{
      {"bool", "bool"}, {"u1", "uint8"},   {"i1", "int8"},   {"i4", "int32"},
      {"i8", "int64"},  {"f4", "float32"}, {"f8", "float64"}};
  auto it = names.find(a.dtype);
  std::string shape;
  for (size_t i = 0; i < a.shape.size(); ++i) shape += (i ? ", " : "") + std::to_string(a.shape[i]);
  if (a.shape.size() == 1) shape += ",";
  return (it == names.end() ? a.dtype : it->second) + " (" + shape + ")";
}

}  // namespace he::retrieval
