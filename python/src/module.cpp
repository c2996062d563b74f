// The extension module hashengine._hashengine; python/hashengine/__init__.py re-exports it.
// C++ exceptions become Python ones with the same message: std::invalid_argument ->
// ValueError, std::out_of_range -> IndexError, std::runtime_error -> RuntimeError.
#include <nanobind/nanobind.h>

namespace he::python {
void bind_codes(nanobind::module_& m);
void bind_index(nanobind::module_& m);
void bind_model(nanobind::module_& m);
}  // namespace he::python

NB_MODULE(_hashengine, m) {
  m.doc() = "hashengine: exact Hamming search, retrieval metrics and zoo encoders";
  he::python::bind_codes(m);
  he::python::bind_index(m);
  he::python::bind_model(m);
}
