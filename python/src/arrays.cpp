#include "arrays.h"

#include <stdexcept>

namespace he::python {

namespace {

std::string dtype_name(nb::dlpack::dtype t) {
  using Code = nb::dlpack::dtype_code;
  std::string kind;
  switch (static_cast<Code>(t.code)) {
    case Code::Int:
      kind = "int";
      break;
    case Code::UInt:
      kind = "uint";
      break;
    case Code::Float:
      kind = "float";
      break;
    case Code::Bool:
      return "bool";
    case Code::Complex:
      kind = "complex";
      break;
    default:
      kind = "dtype code " + std::to_string(t.code) + " of ";
      break;
  }
  return kind + std::to_string(t.bits);
}

// Calls f(const T*) with the array's data typed by its integer (or bool) dtype.
template <typename F>
void visit_integers(const InArray& a, const std::string& what, const char* expected, F&& f) {
  const void* p = a.data();
  if (has_dtype<int64_t>(a)) return f(static_cast<const int64_t*>(p));
  if (has_dtype<int32_t>(a)) return f(static_cast<const int32_t*>(p));
  if (has_dtype<int16_t>(a)) return f(static_cast<const int16_t*>(p));
  if (has_dtype<int8_t>(a)) return f(static_cast<const int8_t*>(p));
  if (has_dtype<uint64_t>(a)) return f(static_cast<const uint64_t*>(p));
  if (has_dtype<uint32_t>(a)) return f(static_cast<const uint32_t*>(p));
  if (has_dtype<uint16_t>(a)) return f(static_cast<const uint16_t*>(p));
  if (has_dtype<uint8_t>(a) || has_dtype<bool>(a)) return f(static_cast<const uint8_t*>(p));
  throw std::invalid_argument(what + ": expected " + expected + ", got " + describe(a));
}

}  // namespace

std::string describe(const InArray& a) {
  std::string s = dtype_name(a.dtype()) + " (";
  for (size_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

retrieval::PackedCodes codes_from_array(const InArray& a, int bits, const std::string& what) {
  if (!has_dtype<uint8_t>(a) || a.ndim() != 2)
    throw std::invalid_argument(what + ": expected packed codes, uint8 (n, bytes), got " +
                                describe(a));
  const size_t cols = a.shape(1);
  if (bits <= 0) bits = static_cast<int>(8 * cols);
  if (cols != (static_cast<size_t>(bits) + 7) / 8)
    throw std::invalid_argument(what + ": " + std::to_string(bits) + "-bit codes take " +
                                std::to_string((bits + 7) / 8) + " bytes a row, got " +
                                describe(a));
  return retrieval::from_bytes(static_cast<const uint8_t*>(a.data()), a.shape(0), bits);
}

nb::object codes_to_array(const retrieval::PackedCodes& c) {
  return to_numpy(retrieval::to_bytes(c), {c.size(), (static_cast<size_t>(c.bits()) + 7) / 8});
}

std::vector<int64_t> ints_from_array(const InArray& a, const std::string& what) {
  std::vector<int64_t> out(a.size());
  visit_integers(a, what, "integers", [&](const auto* v) {
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<int64_t>(v[i]);
  });
  return out;
}

retrieval::Labels labels_from_array(const InArray& a, const std::string& what) {
  if (a.ndim() == 1) {
    if (has_dtype<bool>(a))
      throw std::invalid_argument(what + ": class ids must be integers, got " + describe(a));
    return retrieval::Labels::single(ints_from_array(a, what));
  }
  if (a.ndim() != 2)
    throw std::invalid_argument(what + ": expected (n) class ids or (n, classes) multi-hot, got " +
                                describe(a));
  std::vector<uint8_t> hot(a.size());
  visit_integers(a, what, "integer or bool multi-hot labels", [&](const auto* v) {
    for (size_t i = 0; i < hot.size(); ++i) hot[i] = v[i] != 0;
  });
  return retrieval::Labels::multi_hot(hot.data(), a.shape(0), a.shape(1));
}

}  // namespace he::python
