// The OpenBLAS kernel set. A DYNAMIC_ARCH OpenBLAS (Debian's) picks its kernels at load time
// from a table of CPU models; a model newer than the library (0.3.21 does not know family 6
// model 207, for one) falls back to the SSE3 "Prescott" kernels even when the CPU has AVX-512.
// On such a CPU the small CNN's training step took 3x the time and a 512^3 SGEMM 5x. When that
// has happened, and the user has not chosen a core with OPENBLAS_CORETYPE, the kernel set is
// chosen again from the CPU's features, before the first product.
#include <cblas.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "kernels/blas.h"

// Only DYNAMIC_ARCH builds export these; weak, so that other BLAS builds still link (null).
extern "C" {
void gotoblas_dynamic_init(void) __attribute__((weak));
void gotoblas_dynamic_quit(void) __attribute__((weak));
}

namespace he::kernels::cpu {

std::string better_blas_core(const std::string& current, bool avx2_fma, bool avx512) {
  // OpenBLAS's x86-64 cores without AVX2: what its model table falls back to.
  static const char* const kPreAvx2[] = {"Prescott",  "Core2",       "Penryn",        "Dunnington",
                                         "Nehalem",   "Sandybridge", "Atom",          "Nano",
                                         "Barcelona", "Opteron",     "Opteron(SSE3)", "Bobcat"};
  bool old = false;
  for (const char* name : kPreAvx2) old = old || strcasecmp(current.c_str(), name) == 0;
  if (!old) return "";
  if (avx512) return "SkylakeX";
  if (avx2_fma) return "Haswell";
  return "";
}

std::string better_blas_core(const std::string& current) {
  const bool avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
                      __builtin_cpu_supports("avx512cd");
  return better_blas_core(current, avx2_fma, avx512);
}

namespace {
BlasCore choose_blas_core() {
  BlasCore core;
  const char* name = openblas_get_corename();
  core.name = name ? name : "";
  core.dynamic = gotoblas_dynamic_init && gotoblas_dynamic_quit;
  if (std::getenv("OPENBLAS_CORETYPE") || !core.dynamic)
    return core;  // the user's choice, or a build with one fixed kernel set
  const std::string better = better_blas_core(core.name);
  if (better.empty()) return core;
  // OpenBLAS reads OPENBLAS_CORETYPE when it initialises its dispatch table; the variable is
  // removed again so that child processes make their own choice the same way.
  setenv("OPENBLAS_CORETYPE", better.c_str(), 1);
  gotoblas_dynamic_quit();
  gotoblas_dynamic_init();
  unsetenv("OPENBLAS_CORETYPE");
  name = openblas_get_corename();
  core.note = "OpenBLAS's CPU-model table gave " + core.name + "; chosen from the CPU's " +
              (better == "SkylakeX" ? "AVX-512" : "AVX2") + " features";
  core.name = name ? name : "";
  return core;
}
}  // namespace

const BlasCore& blas_core() {
  static const BlasCore core = choose_blas_core();
  return core;
}

}  // namespace he::kernels::cpu
