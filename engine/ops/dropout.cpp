// Inverted dropout: zeroes each element with probability p and scales the rest by 1/(1-p),
// with one Philox draw per element (kernels/dropout.h): the same mask on every device.
#include <fmt/format.h>

#include <stdexcept>

#include "engine/ops.h"
#include "engine/ops/args.h"
#include "engine/ops/dispatch.h"
#include "engine/random.h"
#include "kernels/dropout.h"

namespace he {

namespace {
// x's elements take the Philox counters from `skip` on of `reserved` ones gen hands out.
Tensor dropout_from(const Tensor& x, double p, Generator& gen, uint64_t skip, uint64_t reserved) {
  if (p < 0 || p >= 1) throw std::invalid_argument(fmt::format("dropout: p = {} not in [0, 1)", p));
  if (p == 0) return x;
  const Device dev = x.device();
  if (!is_floating(x.dtype()))
    throw std::invalid_argument(
        fmt::format("dropout: expected f32/f64, got {} {}", dtype_name(x.dtype()), x.shape_str()));
  Tensor xc = x.contiguous();
  Tensor y = Tensor::empty(x.shape(), x.dtype(), dev),
         mask = Tensor::empty(x.shape(), x.dtype(), dev);
  const int64_t n = x.numel();
  const uint64_t first = gen.advance(reserved) + skip;
  dispatch_floating(x.dtype(), "dropout", [&]<class T>() {
    const T* px = xc.data_ptr<T>();
    T *py = y.data_ptr<T>(), *pm = mask.data_ptr<T>();
    const T scale = static_cast<T>(1.0 / (1 - p));
    detail::on_device(dev, [&](auto backend) {
      if constexpr (backend.cuda)
        kernels::cuda::dropout(px, py, pm, n, gen.seed(), first, 1 - p, scale);
      else
        kernels::cpu::dropout(px, py, pm, n, gen.seed(), first, 1 - p, scale);
    });
  });
  // The mask (kept ? 1/(1-p) : 0) is a constant of the graph.
  return attach_grad_fn(y, {x}, "dropout",
                        [mask](const Tensor& g) { return std::vector<Tensor>{mul(g, mask)}; });
}
}  // namespace

Tensor dropout(const Tensor& x, double p, Generator& gen) {
  return dropout_from(x, p, gen, 0, static_cast<uint64_t>(x.numel()));
}

Tensor dropout_rows(const Tensor& x, double p, Generator& gen, int64_t row_begin,
                    int64_t total_rows) {
  const int64_t rows = x.dim() > 0 ? x.size(0) : 0;
  if (x.dim() == 0 || row_begin < 0 || row_begin + rows > total_rows)
    throw std::invalid_argument(fmt::format("dropout_rows: rows [{}, {}) of {} from input {}",
                                            row_begin, row_begin + rows, total_rows,
                                            x.shape_str()));
  const uint64_t per_row = rows > 0 ? static_cast<uint64_t>(x.numel() / rows) : 0;
  return dropout_from(x, p, gen, per_row * static_cast<uint64_t>(row_begin),
                      per_row * static_cast<uint64_t>(total_rows));
}

}  // namespace he
