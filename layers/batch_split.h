#pragma once
// One global batch split over the ranks of a data-parallel job: each rank runs the network on
// its block of rows, and the few places that couple rows exchange what they need, so that
// the ranks together compute what one process computes on the whole batch:
// - batch norm takes its statistics over every rank's rows (sync batch norm);
// - dropout draws each row's mask from the counters the whole batch would use;
// - a loss over in-batch pairs gathers every rank's rows (gather_rows).
// The collectives come in as functions, so layers/ never links MPI (zoo/data_parallel.h
// builds them from engine/dist).
//
// Gradients: every rank computes the loss of the whole batch from the gathered rows, so a
// rank's backward gives each tensor `ranks` times its share of the true gradient (the
// gather's backward sums the ranks' gradients of the gathered rows before taking its own).
// Averaging the parameters' gradients over ranks then gives exactly one process's gradient.
#include <functional>
#include <memory>

#include "layers/module.h"

namespace he::nn {

struct BatchSplit {
  int rank = 0, ranks = 1;
  int64_t begin = 0, rows = 0, total = 0;  // this rank's rows [begin, begin + rows) of total
  // x (contiguous, f32 or f64, on the CPU) replaced in place by its element-wise sum over ranks.
  std::function<void(Tensor& x)> sum;
  // x:(rows,...) contiguous -> (total,...): every rank's rows in rank order (any dtype).
  std::function<Tensor(const Tensor& x)> gather;
};

// The element-wise sum of x over ranks; its backward sums the gradient over ranks too.
Tensor sum_over_ranks(const Tensor& x, const BatchSplit& split);

// x:(split.rows,...) -> (split.total,...): every rank's rows in rank order. Backward: the
// gradient of the gathered rows summed over ranks, this rank's block of it.
Tensor gather_rows(const Tensor& x, const BatchSplit& split);

// Gives every BatchNorm and Dropout under `root` the split (null: the whole batch is here), so
// their training forward couples the ranks' rows as described above.
void set_batch_split(Module& root, std::shared_ptr<const BatchSplit> split);

}  // namespace he::nn
