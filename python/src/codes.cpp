// hashengine.pack / unpack (retrieval/codes.h) and hashengine.evaluate (retrieval/metrics.h).
#include <nanobind/stl/string.h>

#include <stdexcept>

#include "arrays.h"

namespace he::python {

namespace {

// signs:(n, bits) float32 / float64 (bit = x >= 0, sign(0) = +1) or int8 / bool (bit = x > 0)
// -> uint8 (n, ceil(bits/8)).
nb::object pack(const InArray& signs) {
  if (signs.ndim() != 2 || signs.shape(1) == 0)
    throw std::invalid_argument("pack: expected signs (n, bits), got " + describe(signs));
  const size_t n = signs.shape(0);
  const int bits = static_cast<int>(signs.shape(1));
  const void* p = signs.data();
  retrieval::PackedCodes c;
  if (has_dtype<float>(signs))
    c = retrieval::pack_signs(static_cast<const float*>(p), n, bits);
  else if (has_dtype<double>(signs))
    c = retrieval::pack_signs(static_cast<const double*>(p), n, bits);
  else if (has_dtype<int8_t>(signs) || has_dtype<bool>(signs))
    c = retrieval::pack_positive(static_cast<const int8_t*>(p), n, bits);
  else
    throw std::invalid_argument("pack: signs must be float32, float64, int8 or bool, got " +
                                describe(signs));
  return codes_to_array(c);
}

// codes:(n, ceil(bits/8)) uint8 -> (n, bits) float32 of +-1.
nb::object unpack(const InArray& codes, int bits) {
  retrieval::PackedCodes c = codes_from_array(codes, bits, "unpack: codes");
  return to_numpy(retrieval::unpack_signs(c), {c.size(), static_cast<size_t>(c.bits())});
}

// The metrics of zoo/report.cpp's metrics.json, under the same keys ("map@1000", ...).
nb::dict evaluate(const InArray& db_codes, const InArray& db_labels, const InArray& q_codes,
                  const InArray& q_labels, size_t k, int bits, int threads) {
  retrieval::PackedCodes db = codes_from_array(db_codes, bits, "evaluate: db_codes");
  retrieval::PackedCodes q = codes_from_array(q_codes, db.bits(), "evaluate: q_codes");
  retrieval::Labels dbl = labels_from_array(db_labels, "evaluate: db_labels");
  retrieval::Labels ql = labels_from_array(q_labels, "evaluate: q_labels");
  if (dbl.size() != db.size() || ql.size() != q.size())
    throw std::invalid_argument("evaluate: " + std::to_string(db.size()) + " db_codes with " +
                                std::to_string(dbl.size()) + " db_labels, " +
                                std::to_string(q.size()) + " q_codes with " +
                                std::to_string(ql.size()) + " q_labels");
  retrieval::EvalResult r;
  {
    nb::gil_scoped_release release;
    r = retrieval::evaluate_hamming(db, dbl, q, ql, {k, threads});
  }
  const std::string K = std::to_string(r.k);
  nb::dict d;
  d["bits"] = r.bits;
  d[("map@" + K).c_str()] = r.map_k;
  d["map@all"] = r.map_all;
  d[("p@" + K).c_str()] = r.p_k;
  d[("r@" + K).c_str()] = r.r_k;
  d["p@r2"] = r.p_r2;
  d["queries"] = r.queries;
  d["database"] = r.database;
  return d;
}

}  // namespace

void bind_codes(nb::module_& m) {
  m.def("pack", &pack, nb::arg("signs"),
        "(n, bits) signs -> uint8 (n, ceil(bits/8)) packed codes, numpy.packbits layout. "
        "float32/float64: bit = x >= 0 (sign(0) = +1); int8/bool: bit = x > 0.");
  m.def("unpack", &unpack, nb::arg("codes"), nb::arg("bits"),
        "uint8 (n, ceil(bits/8)) packed codes -> (n, bits) float32 of +1/-1.");
  m.def("evaluate", &evaluate, nb::arg("db_codes"), nb::arg("db_labels"), nb::arg("q_codes"),
        nb::arg("q_labels"), nb::arg("k") = 1000, nb::arg("bits") = 0, nb::arg("threads") = 0,
        "mAP@k, mAP@all, P@k, R@k and P@r2 of Hamming ranking, as in a run's metrics.json. "
        "Labels: (n) class ids or (n, classes) multi-hot. bits: 0 = 8 * code bytes. "
        "Releases the GIL.");
}

}  // namespace he::python
