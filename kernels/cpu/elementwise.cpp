// CPU elementwise kernels: the plain reference every other backend is checked against.
// Flat contiguous loops are compiled for AVX-512, AVX2 and baseline x86-64 (target_clones),
// and the loader picks the best the CPU has at run time.
#include "kernels/elementwise.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <type_traits>

#include "kernels/cpu/clones.h"
#include "kernels/cpu/strided_loop.h"
#include "kernels/dtype.h"

namespace he::kernels {

void coalesce(Strided& s, int operands) {
  Strided out;
  for (int d = 0; d < s.ndim; ++d) {
    if (s.shape[d] == 1) continue;
    int o = out.ndim;
    if (o > 0) {
      bool merge = true;
      for (int k = 0; k < operands; ++k)
        merge = merge && out.stride[k][o - 1] == s.stride[k][d] * s.shape[d];
      if (merge) {
        out.shape[o - 1] *= s.shape[d];
        for (int k = 0; k < operands; ++k) out.stride[k][o - 1] = s.stride[k][d];
        continue;
      }
    }
    out.shape[o] = s.shape[d];
    for (int k = 0; k < operands; ++k) out.stride[k][o] = s.stride[k][d];
    out.ndim++;
  }
  s = out;
}

namespace cpu {
namespace {

template <class T, class F>
inline void map_flat(const T* x, T* y, int64_t n, F f) {
#pragma omp parallel for schedule(static) if (n >= kParallelGrain)
  for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

template <class T>
inline void unary_impl(Unary op, const T* x, T* y, int64_t n, T a, T b) {
  switch (op) {
    case Unary::Neg:
      return map_flat(x, y, n, [](T v) { return -v; });
    case Unary::Exp:
      return map_flat(x, y, n, [](T v) { return std::exp(v); });
    case Unary::Log:
      return map_flat(x, y, n, [](T v) { return std::log(v); });
    case Unary::Sqrt:
      return map_flat(x, y, n, [](T v) { return std::sqrt(v); });
    case Unary::Abs:
      return map_flat(x, y, n, [](T v) { return std::abs(v); });
    case Unary::Tanh:
      return map_flat(x, y, n, [](T v) { return std::tanh(v); });
    case Unary::Sigmoid:
      // Both branches stay finite: e^-|v| never overflows.
      return map_flat(x, y, n, [](T v) {
        T e = std::exp(-std::abs(v));
        return v >= 0 ? T(1) / (T(1) + e) : e / (T(1) + e);
      });
    case Unary::Relu:
      return map_flat(x, y, n, [](T v) { return v > 0 ? v : T(0); });
    case Unary::Sign:
      return map_flat(x, y, n, [](T v) { return v > 0 ? T(1) : (v < 0 ? T(-1) : T(0)); });
    case Unary::AddScalar:
      return map_flat(x, y, n, [a](T v) { return v + a; });
    case Unary::MulScalar:
      return map_flat(x, y, n, [a](T v) { return v * a; });
    case Unary::RSubScalar:
      return map_flat(x, y, n, [a](T v) { return a - v; });
    case Unary::RDivScalar:
      return map_flat(x, y, n, [a](T v) { return a / v; });
    case Unary::PowScalar:
      if (a == T(2)) return map_flat(x, y, n, [](T v) { return v * v; });
      return map_flat(x, y, n, [a](T v) { return std::pow(v, a); });
    case Unary::Clamp:
      return map_flat(x, y, n, [a, b](T v) { return std::min(std::max(v, a), b); });
    case Unary::LeakyRelu:
      return map_flat(x, y, n, [a](T v) { return v > 0 ? v : a * v; });
    case Unary::Elu:
      return map_flat(x, y, n, [a](T v) { return v > 0 ? v : a * std::expm1(v); });
    case Unary::Softplus:
      return map_flat(x, y, n, [a, b](T v) {
        T z = a * v;
        return z > b ? v : std::log1p(std::exp(z)) / a;
      });
  }
}

template <class T>
inline T apply(Binary op, T a, T b) {
  switch (op) {
    case Binary::Add:
      return a + b;
    case Binary::Sub:
      return a - b;
    case Binary::Mul:
      return a * b;
    case Binary::Div:
      return a / b;
    case Binary::Max:
      return a > b ? a : b;
    case Binary::Min:
      return a < b ? a : b;
    case Binary::Pow:
      return static_cast<T>(std::pow(a, b));
    case Binary::PassIfPositive:
      return b > T(0) ? a : T(0);
  }
  return T(0);
}

// Flat runs: mode 0 both operands contiguous, 1 b is one scalar, 2 a is one scalar.
template <class T, class F>
inline void zip_flat(const T* a, const T* b, T* out, int64_t n, int mode, F f) {
  if (mode == 0) {
#pragma omp parallel for schedule(static) if (n >= kParallelGrain)
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], b[i]);
  } else if (mode == 1) {
    const T s = *b;
#pragma omp parallel for schedule(static) if (n >= kParallelGrain)
    for (int64_t i = 0; i < n; ++i) out[i] = f(a[i], s);
  } else {
    const T s = *a;
#pragma omp parallel for schedule(static) if (n >= kParallelGrain)
    for (int64_t i = 0; i < n; ++i) out[i] = f(s, b[i]);
  }
}

template <class T>
inline void binary_flat(Binary op, const T* a, const T* b, T* out, int64_t n, int mode) {
  switch (op) {
    case Binary::Add:
      return zip_flat(a, b, out, n, mode, [](T x, T y) { return x + y; });
    case Binary::Sub:
      return zip_flat(a, b, out, n, mode, [](T x, T y) { return x - y; });
    case Binary::Mul:
      return zip_flat(a, b, out, n, mode, [](T x, T y) { return x * y; });
    case Binary::Div:
      return zip_flat(a, b, out, n, mode, [](T x, T y) { return x / y; });
    case Binary::Max:
      return zip_flat(a, b, out, n, mode, [](T x, T y) { return x > y ? x : y; });
    case Binary::Min:
      return zip_flat(a, b, out, n, mode, [](T x, T y) { return x < y ? x : y; });
    case Binary::Pow:
      return zip_flat(a, b, out, n, mode, [](T x, T y) { return static_cast<T>(std::pow(x, y)); });
    case Binary::PassIfPositive:
      return zip_flat(a, b, out, n, mode, [](T x, T y) { return y > T(0) ? x : T(0); });
  }
}

HE_CLONES void binary_flat_f32(Binary op, const float* a, const float* b, float* o, int64_t n,
                               int mode) {
  binary_flat(op, a, b, o, n, mode);
}
HE_CLONES void binary_flat_f64(Binary op, const double* a, const double* b, double* o, int64_t n,
                               int mode) {
  binary_flat(op, a, b, o, n, mode);
}
template <class T>
void binary_flat_any(Binary op, const T* a, const T* b, T* o, int64_t n, int mode) {
  if constexpr (std::is_same_v<T, float>)
    binary_flat_f32(op, a, b, o, n, mode);
  else if constexpr (std::is_same_v<T, double>)
    binary_flat_f64(op, a, b, o, n, mode);
  else
    binary_flat(op, a, b, o, n, mode);
}

template <class T>
inline bool compare_one(Compare op, T a, T b) {
  switch (op) {
    case Compare::Eq:
      return a == b;
    case Compare::Ne:
      return a != b;
    case Compare::Lt:
      return a < b;
    case Compare::Le:
      return a <= b;
    case Compare::Gt:
      return a > b;
    case Compare::Ge:
      return a >= b;
  }
  return false;
}

}  // namespace

HE_CLONES void unary(Unary op, const float* x, float* y, int64_t n, double a, double b) {
  unary_impl<float>(op, x, y, n, static_cast<float>(a), static_cast<float>(b));
}
HE_CLONES void unary(Unary op, const double* x, double* y, int64_t n, double a, double b) {
  unary_impl<double>(op, x, y, n, a, b);
}

template <class T>
void binary(Binary op, const Strided& l, const T* a, const T* b, T* out) {
  // One flat run with a contiguous output covers nearly every call a model makes.
  if (l.ndim <= 1 && (l.ndim == 0 || l.stride[0][0] == 1)) {
    int64_t n = l.ndim ? l.shape[0] : 1;
    int64_t sa = l.ndim ? l.stride[1][0] : 0, sb = l.ndim ? l.stride[2][0] : 0;
    if ((sa == 1 || n == 1) && (sb == 1 || n == 1)) return binary_flat_any(op, a, b, out, n, 0);
    if (sa == 1 && sb == 0) return binary_flat_any(op, a, b, out, n, 1);
    if (sa == 0 && sb == 1) return binary_flat_any(op, a, b, out, n, 2);
  }
  for_each_row<3>(l, [&](const int64_t* off, int64_t n, const int64_t* st) {
    T* o = out + off[0];
    const T* pa = a + off[1];
    const T* pb = b + off[2];
    for (int64_t i = 0; i < n; ++i) o[i * st[0]] = apply(op, pa[i * st[1]], pb[i * st[2]]);
  });
}

template <class T>
void compare(Compare op, const Strided& l, const T* a, const T* b, uint8_t* out) {
  for_each_row<3>(l, [&](const int64_t* off, int64_t n, const int64_t* st) {
    uint8_t* o = out + off[0];
    const T* pa = a + off[1];
    const T* pb = b + off[2];
    for (int64_t i = 0; i < n; ++i) o[i * st[0]] = compare_one(op, pa[i * st[1]], pb[i * st[2]]);
  });
}

template <class T>
void where(const Strided& l, const uint8_t* cond, const T* a, const T* b, T* out) {
  for_each_row<4>(l, [&](const int64_t* off, int64_t n, const int64_t* st) {
    T* o = out + off[0];
    const uint8_t* c = cond + off[1];
    const T* pa = a + off[2];
    const T* pb = b + off[3];
    for (int64_t i = 0; i < n; ++i) o[i * st[0]] = c[i * st[1]] ? pa[i * st[2]] : pb[i * st[3]];
  });
}

void copy(const Strided& l, DType src_t, const void* src, DType dst_t, void* dst) {
  dispatch_all(src_t, [&]<class S>() {
    dispatch_all(dst_t, [&]<class D>() {
      const S* in = static_cast<const S*>(src);
      D* out = static_cast<D*>(dst);
      if (l.ndim == 1 && l.stride[0][0] == 1 && l.stride[1][0] == 1 && std::is_same_v<S, D>) {
        std::memcpy(out, in, l.shape[0] * sizeof(S));
        return;
      }
      for_each_row<2>(l, [&](const int64_t* off, int64_t n, const int64_t* st) {
        D* o = out + off[0];
        const S* p = in + off[1];
        for (int64_t i = 0; i < n; ++i) o[i * st[0]] = static_cast<D>(p[i * st[1]]);
      });
    });
  });
}

template <class T>
void fill(T* y, int64_t n, T value) {
#pragma omp parallel for schedule(static) if (n >= kParallelGrain)
  for (int64_t i = 0; i < n; ++i) y[i] = value;
}

template <class T>
void add_bias(T* y, const T* bias, int64_t rows, int64_t channels, int64_t inner) {
#pragma omp parallel for schedule(static) if (rows > 1 && rows * channels * inner >= kParallelGrain)
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < channels; ++c) {
      T* row = y + (r * channels + c) * inner;
      const T b = bias[c];
      for (int64_t i = 0; i < inner; ++i) row[i] += b;
    }
}
template void add_bias<float>(float*, const float*, int64_t, int64_t, int64_t);
template void add_bias<double>(double*, const double*, int64_t, int64_t, int64_t);

#define HE_INSTANTIATE(T)                                                          \
  template void compare<T>(Compare, const Strided&, const T*, const T*, uint8_t*); \
  template void where<T>(const Strided&, const uint8_t*, const T*, const T*, T*);  \
  template void fill<T>(T*, int64_t, T);
HE_INSTANTIATE(float)
HE_INSTANTIATE(double)
HE_INSTANTIATE(int32_t)
HE_INSTANTIATE(int64_t)
HE_INSTANTIATE(uint8_t)
HE_INSTANTIATE(uint64_t)
template void binary<float>(Binary, const Strided&, const float*, const float*, float*);
template void binary<double>(Binary, const Strided&, const double*, const double*, double*);
template void binary<int32_t>(Binary, const Strided&, const int32_t*, const int32_t*, int32_t*);
template void binary<int64_t>(Binary, const Strided&, const int64_t*, const int64_t*, int64_t*);

}  // namespace cpu
}  // namespace he::kernels
