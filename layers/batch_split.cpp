#include "layers/batch_split.h"

#include <fmt/format.h>

#include <stdexcept>

#include "layers/basic.h"
#include "layers/norm.h"

namespace he::nn {

namespace {
// The gradient g summed over ranks (a copy; g itself is shared with the graph).
Tensor summed_over_ranks(const std::function<void(Tensor&)>& sum, const Tensor& g) {
  Tensor t = g.contiguous().clone();
  sum(t);
  return t;
}
}  // namespace

Tensor sum_over_ranks(const Tensor& x, const BatchSplit& split) {
  Tensor y = x.detach().contiguous().clone();
  split.sum(y);
  return attach_grad_fn(y, {x}, "sum_over_ranks", [sum = split.sum](const Tensor& g) {
    return std::vector<Tensor>{summed_over_ranks(sum, g)};
  });
}

Tensor gather_rows(const Tensor& x, const BatchSplit& split) {
  if (x.dim() == 0 || x.size(0) != split.rows)
    throw std::invalid_argument(
        fmt::format("gather_rows: input {} is not this rank's {} rows", x.shape_str(), split.rows));
  Tensor all = split.gather(x.detach().contiguous());
  if (all.size(0) != split.total)
    throw std::logic_error(
        fmt::format("gather_rows: gathered {} rows, the batch has {}", all.size(0), split.total));
  const int64_t begin = split.begin, rows = split.rows;
  return attach_grad_fn(all, {x}, "gather_rows", [sum = split.sum, begin, rows](const Tensor& g) {
    return std::vector<Tensor>{summed_over_ranks(sum, g).narrow(0, begin, rows).contiguous()};
  });
}

void set_batch_split(Module& root, std::shared_ptr<const BatchSplit> split) {
  if (auto* bn = dynamic_cast<BatchNorm*>(&root)) bn->split = split;
  if (auto* d = dynamic_cast<Dropout*>(&root)) d->split = split;
  for (const auto& [name, child] : root.children()) set_batch_split(*child, split);
}

}  // namespace he::nn
