// Run-time choice of the instruction set for the PQ scan loops (kernels/pq.h).
#include "kernels/pq.h"

namespace he::kernels::cpu {

bool pq_isa_supported(PqIsa isa) {
  switch (isa) {
    case PqIsa::Auto:
    case PqIsa::Scalar:
      return true;
    case PqIsa::Avx2:
      return __builtin_cpu_supports("avx2");
    case PqIsa::Avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  }
  return false;
}

bool pq8_u8_supported(PqIsa isa) {
  if (isa == PqIsa::Scalar) return true;
  return isa == PqIsa::Avx512 && pq_isa_supported(isa) && __builtin_cpu_supports("avx512vbmi") &&
         __builtin_cpu_supports("bmi2");
}

PqIsa pq_best_isa() {
  if (pq_isa_supported(PqIsa::Avx512)) return PqIsa::Avx512;
  if (pq_isa_supported(PqIsa::Avx2)) return PqIsa::Avx2;
  return PqIsa::Scalar;
}

const char* pq_isa_name(PqIsa isa) {
  switch (isa) {
    case PqIsa::Auto:
      return "auto";
    case PqIsa::Scalar:
      return "scalar";
    case PqIsa::Avx2:
      return "avx2";
    case PqIsa::Avx512:
      return "avx512";
  }
  return "?";
}

}  // namespace he::kernels::cpu
