// Joining and splitting: concat, stack, split.
#include <fmt/format.h>

#include <stdexcept>

#include "engine/ops.h"
#include "engine/ops/args.h"

namespace he {

Tensor concat(const std::vector<Tensor>& xs, int64_t dim) {
  if (xs.empty()) throw std::invalid_argument("concat: no tensors");
  detail::check_same(xs, "concat");
  const Tensor& first = xs[0];
  dim = wrap_dim(dim, first.dim(), "concat");
  Shape shape = first.shape();
  int64_t total = 0;
  for (const Tensor& x : xs) {
    bool ok = x.dim() == first.dim();
    for (int64_t d = 0; ok && d < x.dim(); ++d) ok = d == dim || x.shape()[d] == first.shape()[d];
    if (!ok)
      throw std::invalid_argument(fmt::format("concat: shapes {} and {} differ outside dim {}",
                                              first.shape_str(), x.shape_str(), dim));
    total += x.shape()[dim];
  }
  shape[dim] = total;
  Tensor out = Tensor::empty(shape, first.dtype(), first.device());
  std::vector<int64_t> starts;
  int64_t at = 0;
  for (const Tensor& x : xs) {
    starts.push_back(at);
    out.detach().narrow(dim, at, x.shape()[dim]).copy_(x);
    at += x.shape()[dim];
  }
  return attach_grad_fn(out, xs, "concat", [xs, starts, dim](const Tensor& g) {
    std::vector<Tensor> gs;
    for (size_t i = 0; i < xs.size(); ++i)
      gs.push_back(xs[i].requires_grad() ? g.narrow(dim, starts[i], xs[i].shape()[dim]) : Tensor());
    return gs;
  });
}

Tensor stack(const std::vector<Tensor>& xs, int64_t dim) {
  if (xs.empty()) throw std::invalid_argument("stack: no tensors");
  for (const Tensor& x : xs)
    if (x.shape() != xs[0].shape())
      throw std::invalid_argument("stack: shapes " + xs[0].shape_str() + " and " + x.shape_str() +
                                  " differ");
  std::vector<Tensor> us;
  dim = wrap_dim(dim, xs[0].dim() + 1, "stack");
  for (const Tensor& x : xs) us.push_back(x.unsqueeze(dim));
  return concat(us, dim);
}

std::vector<Tensor> split(const Tensor& x, int64_t chunk, int64_t dim) {
  if (chunk <= 0) throw std::invalid_argument("split: chunk must be positive");
  dim = wrap_dim(dim, x.dim(), "split");
  std::vector<Tensor> parts;
  for (int64_t at = 0; at < x.shape()[dim]; at += chunk)
    parts.push_back(x.narrow(dim, at, std::min(chunk, x.shape()[dim] - at)));
  return parts;
}

}  // namespace he
