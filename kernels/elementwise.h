#pragma once
// Elementwise kernels: unary maps over contiguous data, and broadcasting binary / compare /
// where / copy kernels over a strided layout of up to four operands.
#include <cstdint>

#include "kernels/dtype.h"

namespace he::kernels {

enum class Unary : uint8_t {
  Neg,
  Exp,
  Log,
  Sqrt,
  Abs,
  Tanh,
  Sigmoid,
  Relu,
  Sign,
  AddScalar,   // x + a
  MulScalar,   // x * a
  RSubScalar,  // a - x
  RDivScalar,  // a / x
  PowScalar,   // x ^ a
  Clamp,       // min(max(x, a), b)
  LeakyRelu,   // x > 0 ? x : a x
  Elu,         // x > 0 ? x : a (e^x - 1)
  Softplus,    // log(1 + e^(a x)) / a, linear where a x > b
};
enum class Binary : uint8_t {
  Add,
  Sub,
  Mul,
  Div,
  Max,
  Min,
  Pow,
  PassIfPositive,  // b > 0 ? a : 0 (ReLU's backward: a = gradient, b = input)
};
enum class Compare : uint8_t { Eq, Ne, Lt, Le, Gt, Ge };

constexpr int kMaxDims = 8;
// Operand 0 is the output. Strides are in elements; a broadcast dim has stride 0.
struct Strided {
  int ndim = 0;
  int64_t shape[kMaxDims] = {};
  int64_t stride[4][kMaxDims] = {};
  int64_t numel() const {
    int64_t n = 1;
    for (int i = 0; i < ndim; ++i) n *= shape[i];
    return n;
  }
};
// Merges adjacent dims that are contiguous for every operand and drops size-1 dims, so most
// layouts reach the kernels as one flat run.
void coalesce(Strided& s, int operands);

namespace cpu {
// x, y: n contiguous elements of T in {float, double}.
void unary(Unary op, const float* x, float* y, int64_t n, double a, double b);
void unary(Unary op, const double* x, double* y, int64_t n, double a, double b);
// out = a op b over layout l (operands: out, a, b); T in {float, double, int32, int64}.
template <class T>
void binary(Binary op, const Strided& l, const T* a, const T* b, T* out);
// out (u8 0/1) = a cmp b over layout l.
template <class T>
void compare(Compare op, const Strided& l, const T* a, const T* b, uint8_t* out);
// out = cond ? a : b over layout l (operands: out, cond, a, b).
template <class T>
void where(const Strided& l, const uint8_t* cond, const T* a, const T* b, T* out);
// Strided copy with dtype conversion (operands: out, in).
void copy(const Strided& l, DType src_t, const void* src, DType dst_t, void* dst);
template <class T>
void fill(T* y, int64_t n, T value);
}  // namespace cpu

// The same on the current CUDA device (device pointers, context stream; asynchronous).
namespace cuda {
void unary(Unary op, const float* x, float* y, int64_t n, double a, double b);
void unary(Unary op, const double* x, double* y, int64_t n, double a, double b);
template <class T>  // float, double, int32, int64
void binary(Binary op, const Strided& l, const T* a, const T* b, T* out);
template <class T>  // every dtype
void compare(Compare op, const Strided& l, const T* a, const T* b, uint8_t* out);
template <class T>  // every dtype
void where(const Strided& l, const uint8_t* cond, const T* a, const T* b, T* out);
void copy(const Strided& l, DType src_t, const void* src, DType dst_t, void* dst);
template <class T>  // float, double, int32, int64, uint8, uint64
void fill(T* y, int64_t n, T value);
}  // namespace cuda

}  // namespace he::kernels
