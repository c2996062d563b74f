#pragma once
// Index kernels on a contiguous (outer, D, inner) view of the source, the indexed axis in the
// middle. Indices are int64 and checked against D by the op before the call.
#include <cstdint>

namespace he::kernels::cpu {
// out(outer, n, inner) = x[:, idx[j], :]
template <class T>
void index_select(const T* x, const int64_t* idx, T* out, int64_t outer, int64_t d, int64_t n,
                  int64_t inner);
// out(outer, D, inner)[:, idx[j], :] += src(outer, n, inner)[:, j, :]
template <class T>
void index_add(const T* src, const int64_t* idx, T* out, int64_t outer, int64_t d, int64_t n,
               int64_t inner);
// out(outer, n, inner)[o, j, i] = x[o, idx[o, j, i], i]
template <class T>
void gather(const T* x, const int64_t* idx, T* out, int64_t outer, int64_t d, int64_t n,
            int64_t inner);
// out(outer, D, inner)[o, idx[o, j, i], i] += src[o, j, i]
template <class T>
void scatter_add(const T* src, const int64_t* idx, T* out, int64_t outer, int64_t d, int64_t n,
                 int64_t inner);
// out(n, classes) = 1 where column == labels[row], else 0 (every element written).
template <class T>
void one_hot(const int64_t* labels, T* out, int64_t n, int64_t classes);
}  // namespace he::kernels::cpu

// The same on the current CUDA device (device pointers, context stream; asynchronous). The
// adds are atomic: repeated indices sum in a run-dependent order (equal to rounding).
namespace he::kernels::cuda {
template <class T>
void index_select(const T* x, const int64_t* idx, T* out, int64_t outer, int64_t d, int64_t n,
                  int64_t inner);
template <class T>
void index_add(const T* src, const int64_t* idx, T* out, int64_t outer, int64_t d, int64_t n,
               int64_t inner);
template <class T>
void gather(const T* x, const int64_t* idx, T* out, int64_t outer, int64_t d, int64_t n,
            int64_t inner);
template <class T>
void scatter_add(const T* src, const int64_t* idx, T* out, int64_t outer, int64_t d, int64_t n,
                 int64_t inner);
template <class T>
void one_hot(const int64_t* labels, T* out, int64_t n, int64_t classes);
}  // namespace he::kernels::cuda
