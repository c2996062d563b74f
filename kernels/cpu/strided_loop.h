#pragma once
// Walks a kernels::Strided layout row by row: the innermost dim is a run handed to `row`
// together with each operand's start offset; rows are split across OpenMP threads when the
// work is large enough to pay for it.
#include <omp.h>

#include "kernels/elementwise.h"

namespace he::kernels::cpu {

// Elements below which a parallel region costs more than it saves: each region is a fork and
// a join of every thread, and on a busy machine one descheduled thread stalls the join.
constexpr int64_t kParallelGrain = 1 << 17;

template <int Ops, class RowFn>
void for_each_row(const Strided& l, RowFn row) {
  const int nd = l.ndim;
  const int64_t inner = nd ? l.shape[nd - 1] : 1;
  int64_t rows = 1;
  for (int d = 0; d + 1 < nd; ++d) rows *= l.shape[d];
  int64_t inner_stride[Ops];
  for (int k = 0; k < Ops; ++k) inner_stride[k] = nd ? l.stride[k][nd - 1] : 0;
  auto offsets = [&](int64_t r, int64_t* off) {
    for (int k = 0; k < Ops; ++k) off[k] = 0;
    for (int d = nd - 2; d >= 0; --d) {
      int64_t i = r % l.shape[d];
      r /= l.shape[d];
      for (int k = 0; k < Ops; ++k) off[k] += i * l.stride[k][d];
    }
  };
#pragma omp parallel for schedule(static) if (rows > 1 && rows * inner >= kParallelGrain)
  for (int64_t r = 0; r < rows; ++r) {
    int64_t off[Ops];
    offsets(r, off);
    row(off, inner, inner_stride);
  }
}

}  // namespace he::kernels::cpu
