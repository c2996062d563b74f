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

// out = a op b over the layout: each element's offsets from its index, last dim fastest.
template <class T>
__global__ void binary_kernel(Binary op, Strided l, int64_t numel, const T* __restrict__ a,
                              const T* __restrict__ b, T* __restrict__ out) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < numel;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t rem = i, oo = 0, oa = 0, ob = 0;
    for (int d = l.ndim - 1; d >= 0; --d) {
      const int64_t idx = rem % l.shape[d];
      rem /= l.shape[d];
      oo += idx * l.stride[0][d];
      oa += idx * l.stride[1][d];
      ob += idx * l.stride[2][d];
    }
    out[oo] = apply_binary(op, a[oa], b[ob]);
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
template void fill<float>(float*, int64_t, float);
template void fill<double>(double*, int64_t, double);
template void fill<int32_t>(int32_t*, int64_t, int32_t);
template void fill<int64_t>(int64_t*, int64_t, int64_t);
template void fill<uint8_t>(uint8_t*, int64_t, uint8_t);
template void fill<uint64_t>(uint64_t*, int64_t, uint64_t);

}  // namespace he::kernels::cuda
