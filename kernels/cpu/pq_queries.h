#pragma once
// The SIMD PQ scans hold one set of accumulators per query in registers, so their query count
// is a template argument; with_queries turns the run-time count into it.
#include <cstddef>

#include "kernels/pq.h"

namespace he::kernels::cpu::detail {

// scan.template operator()<Q>() with Q = nq for nq in 1 .. kPqMaxQueries (more counts as the
// maximum).
template <class F>
void with_queries(size_t nq, F&& scan) {
  static_assert(kPqMaxQueries == 4, "one case per query count");
  switch (nq) {
    case 1:
      return scan.template operator()<1>();
    case 2:
      return scan.template operator()<2>();
    case 3:
      return scan.template operator()<3>();
    default:
      return scan.template operator()<4>();
  }
}

}  // namespace he::kernels::cpu::detail
