#pragma once
// The fused hashing kernels (the CPU reference; CUDA versions share these signatures).
//  sign_pack:   h:(N,bits) -> b:(N,bits) in {-1,+1} (sign(0) = +1) and, when `packed` is not
//               null, codes:(N, ceil(bits/64)) u64 with bit j of a code in word j/64, bit j%64;
//               returns sum((h - b)^2) (the quantisation error) from the same pass.
//  sign_ste_backward: dh = g (identity, GreedyHash) or g * 1[|h| <= 1] (clipped).
//  continuation: y = tanh(beta x); backward dx = g * beta * (1 - y^2).
#include <cstdint>

namespace he::kernels::cpu {
template <class T>
double sign_pack(const T* h, T* b, uint64_t* packed, int64_t n, int64_t bits);
template <class T>
void sign_ste_backward(const T* g, const T* h, T* dh, int64_t count, bool clipped);
template <class T>
void continuation_forward(const T* x, T* y, int64_t count, double beta);
template <class T>
void continuation_backward(const T* g, const T* y, T* dx, int64_t count, double beta);
}  // namespace he::kernels::cpu

// The same kernels on the current CUDA device: every pointer is device memory, the work is
// enqueued on the device's context stream (kernels/cuda/context.h). sign_pack returns the
// error on the host, so it waits for its own kernels; the others return at once.
// The error is summed in a fixed order (per-block partials, then one block), so it is the
// same on every run; it matches the CPU's to rounding, not bit for bit.
namespace he::kernels::cuda {
template <class T>
double sign_pack(const T* h, T* b, uint64_t* packed, int64_t n, int64_t bits);
template <class T>
void sign_ste_backward(const T* g, const T* h, T* dh, int64_t count, bool clipped);
template <class T>
void continuation_forward(const T* x, T* y, int64_t count, double beta);
template <class T>
void continuation_backward(const T* g, const T* y, T* dx, int64_t count, double beta);
}  // namespace he::kernels::cuda
