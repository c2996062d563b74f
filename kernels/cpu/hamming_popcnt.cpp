// The portable scan loops compiled for the POPCNT instruction (any x86-64 since ~2008);
// used when AVX-512 VPOPCNTDQ is missing. Chosen at run time by hamming.cpp.
#include "kernels/cpu/hamming_internal.h"

#pragma GCC push_options
#pragma GCC target("popcnt")
#include "kernels/cpu/hamming_scalar.inl"
#pragma GCC pop_options

namespace he::kernels::cpu::detail {

const IsaKernels& popcnt_kernels() {
  static const IsaKernels k{scan_any, sum_any, row_any};
  return k;
}

}  // namespace he::kernels::cpu::detail
