#pragma once
// Everything a user of the engine core needs.
#include "engine/autograd.h"
#include "engine/ops.h"
#include "engine/random.h"
#include "engine/tensor.h"

namespace he {
// Threads for the engine's kernels and OpenBLAS together (one pool; see kernels/blas.h).
void set_num_threads(int n);
int num_threads();
}  // namespace he
