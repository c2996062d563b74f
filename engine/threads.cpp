#include "engine/engine.h"
#include "kernels/blas.h"

namespace he {
void set_num_threads(int n) { kernels::cpu::set_num_threads(n); }
int num_threads() { return kernels::cpu::num_threads(); }
}  // namespace he
