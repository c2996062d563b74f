// The portable scan loops compiled for the POPCNT instruction (any x86-64 since ~2008);
// used when AVX-512 VPOPCNTDQ is missing. Chosen at run time by hamming.cpp.
#include "kernels/cpu/hamming_internal.h"

// clang ignores GCC target pragmas; its attribute pragma does the same job.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("popcnt"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("popcnt")
#endif
#include "kernels/cpu/hamming_scalar.inl"
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

namespace he::kernels::cpu::detail {

const IsaKernels& popcnt_kernels() {
  static const IsaKernels k{scan_any, sum_any, row_any};
  return k;
}

}  // namespace he::kernels::cpu::detail
