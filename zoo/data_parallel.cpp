#include "zoo/data_parallel.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "zoo/encode.h"

namespace he::zoo {

namespace {
void sum_in_place(dist::World& world, Tensor& x) {
  if (!x.is_contiguous() || x.device() != Device::cpu())
    throw std::invalid_argument("sum over ranks: " + x.shape_str() +
                                " is not contiguous on the CPU");
  if (x.dtype() == DType::f32)
    world.allreduce_sum(x.data<float>(), static_cast<size_t>(x.numel()));
  else if (x.dtype() == DType::f64)
    world.allreduce_sum(x.data<double>(), static_cast<size_t>(x.numel()));
  else
    throw std::invalid_argument(fmt::format("sum over ranks: {} {} (f32 or f64 only)",
                                            dtype_name(x.dtype()), x.shape_str()));
}

Tensor gather_in_rank_order(dist::World& world, const Tensor& x, int64_t total) {
  std::vector<size_t> counts;
  std::vector<uint8_t> raw = world.allgatherv_bytes(x.raw_data(), x.nbytes(), counts);
  Shape shape = x.shape();
  shape[0] = total;
  Tensor out = Tensor::empty(shape, x.dtype());
  if (raw.size() != out.nbytes())
    throw std::runtime_error(fmt::format("gather over ranks: {} bytes for {} ({} expected)",
                                         raw.size(), out.shape_str(), out.nbytes()));
  if (!raw.empty()) std::memcpy(out.raw_data(), raw.data(), raw.size());
  return out;
}
}  // namespace

std::shared_ptr<const nn::BatchSplit> batch_split(int64_t rows, dist::World& world) {
  const dist::Shard s = dist::shard_rows(static_cast<size_t>(rows), world.rank(), world.size());
  auto split = std::make_shared<nn::BatchSplit>();
  split->rank = world.rank();
  split->ranks = world.size();
  split->begin = static_cast<int64_t>(s.begin);
  split->rows = static_cast<int64_t>(s.size());
  split->total = rows;
  split->sum = [&world](Tensor& x) { sum_in_place(world, x); };
  split->gather = [&world, rows](const Tensor& x) { return gather_in_rank_order(world, x, rows); };
  return split;
}

TrainBatch rank_slice(const TrainBatch& batch, dist::World& world) {
  if (!world.distributed()) return batch;
  const int64_t rows = batch.images.size(0);
  if (rows < world.size())
    throw std::runtime_error(
        fmt::format("a batch of {} rows cannot be split over {} ranks", rows, world.size()));
  std::shared_ptr<const nn::BatchSplit> split = batch_split(rows, world);
  auto cut = [&](const Tensor& t) {
    return t.defined() ? t.narrow(0, split->begin, split->rows).contiguous() : t;
  };
  return TrainBatch{cut(batch.images), cut(batch.labels), cut(batch.indices), split};
}

void average_gradients(const std::vector<Tensor>& params, const nn::BatchSplit& split) {
  if (split.ranks == 1) return;
  std::vector<Tensor> grads;
  int64_t total = 0;
  for (const Tensor& p : params) {
    Tensor g = p.grad();
    if (!g.defined()) continue;
    if (g.dtype() != DType::f32 || !g.is_contiguous())
      throw std::runtime_error("average_gradients: gradients must be contiguous f32 on the CPU");
    total += g.numel();
    grads.push_back(g);
  }
  Tensor flat = Tensor::empty({total});  // one buffer, so a bucket spans small tensors
  size_t at = 0;
  for (const Tensor& g : grads) {
    std::memcpy(flat.data<float>() + at, g.data<float>(), g.nbytes());
    at += static_cast<size_t>(g.numel());
  }
  split.sum(flat);
  const float ranks = static_cast<float>(split.ranks);
  at = 0;
  for (const Tensor& g : grads) {
    float* dst = g.data<float>();
    const float* src = flat.data<float>() + at;
    for (int64_t i = 0; i < g.numel(); ++i) dst[i] = src[i] / ranks;
    at += static_cast<size_t>(g.numel());
  }
}

Tensor encode_set_sharded(HashModel& model, const data::ImageSet& set, dist::World& world,
                          int64_t batch, bool database) {
  if (!world.distributed())
    return encode_set(model, set, batch, database).contiguous().to(DType::f32);
  const int64_t batches = (set.n + batch - 1) / batch;
  const dist::Shard mine =
      dist::shard_rows(static_cast<size_t>(batches), world.rank(), world.size());
  const int64_t begin = static_cast<int64_t>(mine.begin) * batch,
                end = std::min(set.n, static_cast<int64_t>(mine.end) * batch);
  const bool was_training = model.is_training();
  model.eval();
  std::vector<float> rows;
  {
    NoGradGuard guard;
    for (int64_t at = begin; at < end; at += batch) {
      const Tensor x = images_tensor(set, at, std::min(batch, end - at));
      Tensor u =
          (database ? model.encode_database(x) : model.encode(x)).contiguous().to(DType::f32);
      rows.insert(rows.end(), u.data<float>(), u.data<float>() + u.numel());
    }
  }
  model.train(was_training);
  std::vector<float> all = world.allgatherv(rows);  // rank order: the set's order
  const int64_t width = set.n > 0 ? static_cast<int64_t>(all.size()) / set.n : 0;
  if (width * set.n != static_cast<int64_t>(all.size()))
    throw std::runtime_error(
        fmt::format("encode_set_sharded: {} values for {} images", all.size(), set.n));
  return Tensor::from_vector(all, {set.n, width});
}

double mean_over_ranks(double v, const nn::BatchSplit& split) {
  Tensor t = Tensor::full({1}, v, DType::f64);
  split.sum(t);
  return t.data<double>()[0] / split.ranks;
}

}  // namespace he::zoo
