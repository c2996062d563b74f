// CUDA elementwise kernels (kernels/elementwise.h): unary maps over contiguous data and the
// broadcasting binary kernel over the Strided layout. Formulas mirror kernels/cpu/elementwise.cpp.
#include <cstdint>

#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"
#include "kernels/elementwise.h"

namespace he::kernels::cuda {
namespace {

constexpr int kThreads = 256;

__device__ inline float m_exp(float v) { return expf(v); }
__device__ inline double m_exp(double v) { return exp(v); }
__device__ inline float m_log(float v) { return logf(v); }
__device__ inline double m_log(double v) { return log(v); }
__device__ inline float m_sqrt(float v) { return sqrtf(v); }
__device__ inline double m_sqrt(double v) { return sqrt(v); }
__device__ inline float m_abs(float v) { return fabsf(v); }
__device__ inline double m_abs(double v) { return fabs(v); }
__device__ inline float m_tanh(float v) { return tanhf(v); }
__device__ inline double m_tanh(double v) { return tanh(v); }
__device__ inline float m_expm1(float v) { return expm1f(v); }
__device__ inline double m_expm1(double v) { return expm1(v); }
__device__ inline float m_log1p(float v) { return log1pf(v); }
__device__ inline double m_log1p(double v) { return log1p(v); }
__device__ inline float m_pow(float a, float b) { return powf(a, b); }
__device__ inline double m_pow(double a, double b) { return pow(a, b); }
template <class T>  // integers: through double, as std::pow does on the CPU
__device__ inline T m_pow(T a, T b) {
  return static_cast<T>(pow(static_cast<double>(a), static_cast<double>(b)));
}

template <class T>
__device__ inline T apply_unary(Unary op, T v, T a, T b) {
  switch (op) {
    case Unary::Neg:
      return -v;
    case Unary::Exp:
      return m_exp(v);
    case Unary::Log:
      return m_log(v);
    case Unary::Sqrt:
      return m_sqrt(v);
    case Unary::Abs:
      return m_abs(v);
    case Unary::Tanh:
      return m_tanh(v);
    case Unary::Sigmoid: {
      const T e = m_exp(-m_abs(v));  // e^-|v| never overflows
      return v >= 0 ? T(1) / (T(1) + e) : e / (T(1) + e);
    }
    case Unary::Relu:
      return v > 0 ? v : T(0);
    case Unary::Sign:
      return v > 0 ? T(1) : (v < 0 ? T(-1) : T(0));
    case Unary::AddScalar:
      return v + a;
    case Unary::MulScalar:
      return v * a;
    case Unary::RSubScalar:
      return a - v;
    case Unary::RDivScalar:
      return a / v;
    case Unary::PowScalar:
      return a == T(2) ? v * v : m_pow(v, a);
    case Unary::Clamp: {  // min(max(v, a), b), as std::min / std::max order it
      const T m = v < a ? a : v;
      return b < m ? b : m;
    }
    case Unary::LeakyRelu:
      return v > 0 ? v : a * v;
    case Unary::Elu:
      return v > 0 ? v : a * m_expm1(v);
    case Unary::Softplus: {
      const T z = a * v;
      return z > b ? v : m_log1p(m_exp(z)) / a;
    }
  }
  return v;
}

template <class T>
__device__ inline T apply_binary(Binary op, T a, T b) {
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
      return m_pow(a, b);
    case Binary::PassIfPositive:
      return b > T(0) ? a : T(0);
  }
  return T(0);
}

// x:(n) -> y:(n). The op is uniform across the grid, so the switch does not diverge.
template <class T>
__global__ void unary_kernel(Unary op, const T* __restrict__ x, T* __restrict__ y, int64_t n, T a,
                             T b) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    y[i] = apply_unary(op, x[i], a, b);
}

template <class T>
__device__ inline bool apply_compare(Compare op, T a, T b) {
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

// The element offsets of flat index i in each of the first Ops operands, last dim fastest.
template <int Ops>
__device__ inline void strided_offsets(const Strided& l, int64_t i, int64_t* off) {
  for (int k = 0; k < Ops; ++k) off[k] = 0;
  for (int d = l.ndim - 1; d >= 0; --d) {
    const int64_t idx = i % l.shape[d];
    i /= l.shape[d];
    for (int k = 0; k < Ops; ++k) off[k] += idx * l.stride[k][d];
  }
}

// out = a op b over the layout (operands: out, a, b).
template <class T>
__global__ void binary_kernel(Binary op, Strided l, int64_t numel, const T* __restrict__ a,
                              const T* __restrict__ b, T* __restrict__ out) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < numel;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[3];
    strided_offsets<3>(l, i, off);
    out[off[0]] = apply_binary(op, a[off[1]], b[off[2]]);
  }
}

// out (u8 0/1) = a cmp b over the layout (operands: out, a, b).
template <class T>
__global__ void compare_kernel(Compare op, Strided l, int64_t numel, const T* __restrict__ a,
                               const T* __restrict__ b, uint8_t* __restrict__ out) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < numel;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[3];
    strided_offsets<3>(l, i, off);
    out[off[0]] = apply_compare(op, a[off[1]], b[off[2]]);
  }
}

// out = cond ? a : b over the layout (operands: out, cond, a, b).
template <class T>
__global__ void where_kernel(Strided l, int64_t numel, const uint8_t* __restrict__ cond,
                             const T* __restrict__ a, const T* __restrict__ b,
                             T* __restrict__ out) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < numel;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[4];
    strided_offsets<4>(l, i, off);
    out[off[0]] = cond[off[1]] ? a[off[2]] : b[off[3]];
  }
}

// out = static_cast<D>(in) over the layout (operands: out, in).
template <class S, class D>
__global__ void copy_kernel(Strided l, int64_t numel, const S* __restrict__ in,
                            D* __restrict__ out) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < numel;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t off[2];
    strided_offsets<2>(l, i, off);
    out[off[0]] = static_cast<D>(in[off[1]]);
  }
}

template <class T>
__global__ void fill_kernel(T* __restrict__ y, int64_t n, T value) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += int64_t(gridDim.x) * blockDim.x)
    y[i] = value;
}

template <class T>
void unary_impl(Unary op, const T* x, T* y, int64_t n, double a, double b) {
  if (n <= 0) return;
  Context& ctx = current_context();
  unary_kernel<T><<<detail::grid_for(n), kThreads, 0, ctx.stream>>>(op, x, y, n, static_cast<T>(a),
                                                                    static_cast<T>(b));
  HE_CUDA_CHECK_LAUNCH("unary_kernel");
}

}  // namespace

void unary(Unary op, const float* x, float* y, int64_t n, double a, double b) {
  unary_impl(op, x, y, n, a, b);
}
void unary(Unary op, const double* x, double* y, int64_t n, double a, double b) {
  unary_impl(op, x, y, n, a, b);
}

template <class T>
void binary(Binary op, const Strided& l, const T* a, const T* b, T* out) {
  const int64_t numel = l.numel();
  if (numel <= 0) return;
  Context& ctx = current_context();
  binary_kernel<T><<<detail::grid_for(numel), kThreads, 0, ctx.stream>>>(op, l, numel, a, b, out);
  HE_CUDA_CHECK_LAUNCH("binary_kernel");
}

template <class T>
void compare(Compare op, const Strided& l, const T* a, const T* b, uint8_t* out) {
  const int64_t numel = l.numel();
  if (numel <= 0) return;
  Context& ctx = current_context();
  compare_kernel<T><<<detail::grid_for(numel), kThreads, 0, ctx.stream>>>(op, l, numel, a, b, out);
  HE_CUDA_CHECK_LAUNCH("compare_kernel");
}

template <class T>
void where(const Strided& l, const uint8_t* cond, const T* a, const T* b, T* out) {
  const int64_t numel = l.numel();
  if (numel <= 0) return;
  Context& ctx = current_context();
  where_kernel<T><<<detail::grid_for(numel), kThreads, 0, ctx.stream>>>(l, numel, cond, a, b, out);
  HE_CUDA_CHECK_LAUNCH("where_kernel");
}

void copy(const Strided& l, DType src_t, const void* src, DType dst_t, void* dst) {
  const int64_t numel = l.numel();
  if (numel <= 0) return;
  Context& ctx = current_context();
  visit_dtype(src_t, [&](auto s) {
    using S = decltype(s);
    visit_dtype(dst_t, [&](auto d) {
      using D = decltype(d);
      copy_kernel<S, D><<<detail::grid_for(numel), kThreads, 0, ctx.stream>>>(
          l, numel, static_cast<const S*>(src), static_cast<D*>(dst));
    });
  });
  HE_CUDA_CHECK_LAUNCH("copy_kernel");
}

template <class T>
void fill(T* y, int64_t n, T value) {
  if (n <= 0) return;
  Context& ctx = current_context();
  fill_kernel<T><<<detail::grid_for(n), kThreads, 0, ctx.stream>>>(y, n, value);
  HE_CUDA_CHECK_LAUNCH("fill_kernel");
}

template void binary<float>(Binary, const Strided&, const float*, const float*, float*);
template void binary<double>(Binary, const Strided&, const double*, const double*, double*);
template void binary<int32_t>(Binary, const Strided&, const int32_t*, const int32_t*, int32_t*);
template void binary<int64_t>(Binary, const Strided&, const int64_t*, const int64_t*, int64_t*);
#define HE_INSTANTIATE(T)                                                          \
  template void compare<T>(Compare, const Strided&, const T*, const T*, uint8_t*); \
  template void where<T>(const Strided&, const uint8_t*, const T*, const T*, T*);
HE_INSTANTIATE(float)
HE_INSTANTIATE(double)
HE_INSTANTIATE(int32_t)
HE_INSTANTIATE(int64_t)
HE_INSTANTIATE(uint8_t)
HE_INSTANTIATE(uint64_t)
#undef HE_INSTANTIATE
template void fill<float>(float*, int64_t, float);
template void fill<double>(double*, int64_t, double);
template void fill<int32_t>(int32_t*, int64_t, int32_t);
template void fill<int64_t>(int64_t*, int64_t, int64_t);
template void fill<uint8_t>(uint8_t*, int64_t, uint8_t);
template void fill<uint64_t>(uint64_t*, int64_t, uint64_t);

}  // namespace he::kernels::cuda
