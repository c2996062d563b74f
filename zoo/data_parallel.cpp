#include "zoo/data_parallel.h"

#include <fmt/format.h>

#include <cstring>
#include <stdexcept>

namespace he::zoo {

TrainBatch rank_slice(const TrainBatch& batch, const dist::World& world) {
  if (!world.distributed()) return batch;
  const int64_t rows = batch.images.size(0);
  if (rows < world.size())
    throw std::runtime_error(
        fmt::format("a batch of {} rows cannot be split over {} ranks", rows, world.size()));
  const dist::Shard s = dist::shard_rows(static_cast<size_t>(rows), world.rank(), world.size());
  auto cut = [&](const Tensor& t) {
    return t.defined() ? t.narrow(0, static_cast<int64_t>(s.begin), static_cast<int64_t>(s.size()))
                             .contiguous()
                       : t;
  };
  return TrainBatch{cut(batch.images), cut(batch.labels), cut(batch.indices)};
}

void average_gradients(const std::vector<Tensor>& params, dist::World& world) {
  if (!world.distributed()) return;
  std::vector<Tensor> grads;
  size_t total = 0;
  for (const Tensor& p : params) {
    Tensor g = p.grad();
    if (!g.defined()) continue;
    if (g.dtype() != DType::f32 || !g.is_contiguous())
      throw std::runtime_error("average_gradients: gradients must be contiguous f32 on the CPU");
    total += static_cast<size_t>(g.numel());
    grads.push_back(g);
  }
  std::vector<float> flat(total);  // one buffer, so a bucket spans small tensors
  size_t at = 0;
  for (const Tensor& g : grads) {
    std::memcpy(flat.data() + at, g.data<float>(), g.nbytes());
    at += static_cast<size_t>(g.numel());
  }
  world.allreduce_mean(flat.data(), flat.size());
  at = 0;
  for (const Tensor& g : grads) {
    std::memcpy(g.data<float>(), flat.data() + at, g.nbytes());
    at += static_cast<size_t>(g.numel());
  }
}

}  // namespace he::zoo
