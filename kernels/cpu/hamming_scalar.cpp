// Baseline x86-64 scan loops (std::popcount without the POPCNT instruction): the plain
// reference every faster path is checked against.
#include "kernels/cpu/hamming_scalar.inl"
#include "kernels/cpu/hamming_internal.h"

namespace he::kernels::cpu::detail {

const IsaKernels& scalar_kernels() {
  static const IsaKernels k{scan_any, sum_any, row_any};
  return k;
}

}  // namespace he::kernels::cpu::detail
