#pragma once
// Argument checks and kernel layouts shared by the ops: NumPy broadcasting of shapes, the
// Strided layout the elementwise kernels walk, and dtype / device agreement.
#include <stdexcept>
#include <string>
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

// Calls f.template operator()<T>() for the dtypes with arithmetic kernels (f32, f64, i32,
// i64); throws naming `op` for the others.
template <class F>
decltype(auto) dispatch_arithmetic(DType t, const char* op, F&& f) {
  switch (t) {
    case DType::f32:
      return f.template operator()<float>();
    case DType::f64:
      return f.template operator()<double>();
    case DType::i32:
      return f.template operator()<int32_t>();
    case DType::i64:
      return f.template operator()<int64_t>();
    default:
      throw std::invalid_argument(std::string(op) + ": not defined for dtype " + dtype_name(t));
  }
}

}  // namespace he::detail
