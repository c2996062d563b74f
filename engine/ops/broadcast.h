#pragma once
// Broadcast shapes and kernel layouts shared by the elementwise ops.
#include <vector>

#include "engine/tensor.h"
#include "kernels/elementwise.h"

namespace he::detail {

// NumPy broadcast of the operands' shapes; throws naming `op` and every shape.
Shape broadcast_shapes(const std::vector<Tensor>& ts, const char* op);
// Layout for out (contiguous, shape `shape`) and the operands broadcast to it, coalesced.
kernels::Strided broadcast_layout(const Tensor& out, const std::vector<Tensor>& ins,
                                  const char* op);
// Throws unless every tensor has the same dtype and device.
void check_same(const std::vector<Tensor>& ts, const char* op);
void check_cpu(const Tensor& t, const char* op);

}  // namespace he::detail
