#pragma once
// numpy <-> engine conversions for the Python bindings. Every input array is checked here
// for dtype and shape; a mismatch throws std::invalid_argument (ValueError in Python)
// naming the function and argument, what was expected and what came.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "retrieval/codes.h"
#include "retrieval/metrics.h"

namespace he::python {
namespace nb = nanobind;

// Any CPU array of any dtype (numpy, or anything speaking DLPack); nanobind makes a
// C-contiguous copy only when the array is not already C-contiguous.
using InArray = nb::ndarray<nb::ro, nb::device::cpu, nb::c_contig>;

// "float32 (3, 8)": the dtype and shape of a, for error messages.
std::string describe(const InArray& a);
template <typename T>
bool has_dtype(const InArray& a) {
  return a.dtype() == nb::dtype<T>();
}

// Packed codes: uint8 (n, ceil(bits/8)) in numpy.packbits / FAISS layout -> PackedCodes.
// bits <= 0 takes 8 * columns. `what` names the argument ("BinaryIndex.add: codes").
retrieval::PackedCodes codes_from_array(const InArray& a, int bits, const std::string& what);
// PackedCodes -> uint8 (n, ceil(bits/8)) numpy array in the same layout.
nb::object codes_to_array(const retrieval::PackedCodes& c);
// Labels: (n) class ids of any integer dtype (single-label) or (n, classes) of any integer
// or bool dtype, nonzero = has the label (multi-hot).
retrieval::Labels labels_from_array(const InArray& a, const std::string& what);
// (n) values of any integer dtype -> int64.
std::vector<int64_t> ints_from_array(const InArray& a, const std::string& what);

// Hands v to numpy without a copy: the array owns the vector.
template <typename T>
nb::object to_numpy(std::vector<T>&& v, std::initializer_list<size_t> shape) {
  auto* owned = new std::vector<T>(std::move(v));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  return nb::cast(nb::ndarray<nb::numpy, T>(owned->data(), shape, owner));
}

}  // namespace he::python
