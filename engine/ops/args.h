#pragma once
// Argument checks and kernel layouts shared by the ops: NumPy broadcasting of shapes, the
// Strided layout the elementwise kernels walk, and dtype / device agreement.
#include <vector>

#include "engine/tensor.h"
#include "kernels/elementwise.h"

namespace he::detail {

// NumPy broadcast of the operands' shapes; throws naming `op` and every shape.
Shape broadcast_shapes(const std::vector<Tensor>& ts, const char* op);
// Layout for out (contiguous, shape `shape`) and the operands broadcast to it, coalesced.
kernels::Strided broadcast_layout(const Tensor& out, const std::vector<Tensor>& ins,
                                  const char* op);
// Throws unless every tensor is defined and has the same dtype and device (naming the op,
// the dtypes or devices and the shapes).
void check_same(const std::vector<Tensor>& ts, const char* op);
void check_cpu(const Tensor& t, const char* op);

}  // namespace he::detail
