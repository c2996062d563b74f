#include "engine/data/loader.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include <fmt/format.h>

#include "engine/random.h"

namespace he::data {

std::vector<int64_t> epoch_permutation(int64_t n, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  // A key distinct from the augmentation key of the same (seed, epoch).
  Generator gen(epoch_key(seed, epoch) ^ 0x9e3779b97f4a7c15ull);
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(order[i], order[gen.below(static_cast<uint64_t>(i + 1))]);
  return order;
}

Loader::Loader(const ImageSet& data, LoaderOptions opts)
    : data_(data), opts_(std::move(opts)), transform_(opts_.transform) {
  if (opts_.batch_size <= 0)
    throw std::runtime_error(fmt::format("Loader: batch_size {} must be > 0", opts_.batch_size));
  if (data_.n > 0 && !data_.data()) throw std::runtime_error("Loader: data set has no pixels");
  opts_.workers = std::max(0, opts_.workers);
  opts_.prefetch = std::max(1, opts_.prefetch);
  transform_.output_size(data_.h, data_.w, out_h_, out_w_);
}

Loader::~Loader() { stop_workers(); }

int64_t Loader::batches_per_epoch() const {
  return opts_.drop_last ? data_.n / opts_.batch_size
                         : (data_.n + opts_.batch_size - 1) / opts_.batch_size;
}

void Loader::stop_workers() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  space_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
}

void Loader::start_epoch(int64_t epoch, int64_t first_batch) {
  stop_workers();
  if (first_batch < 0 || first_batch > batches_per_epoch())
    throw std::runtime_error(fmt::format("Loader::start_epoch: first_batch {} outside [0, {}]",
                                         first_batch, batches_per_epoch()));
  epoch_ = epoch;
  if (opts_.shuffle) {
    order_ = epoch_permutation(data_.n, opts_.seed, epoch);
  } else {
    order_.resize(static_cast<size_t>(data_.n));
    std::iota(order_.begin(), order_.end(), 0);
  }
  ready_.clear();
  next_claim_ = next_out_ = first_batch;
  error_ = nullptr;
  stop_ = false;
  for (int t = 0; t < opts_.workers; ++t) workers_.emplace_back([this] { worker_loop(); });
}

void Loader::worker_loop() {
  const int64_t total = batches_per_epoch();
  for (;;) {
    int64_t b;
    {
      std::unique_lock<std::mutex> lk(mu_);
      space_cv_.wait(lk, [&] { return stop_ || next_claim_ < next_out_ + opts_.prefetch; });
      if (stop_ || next_claim_ >= total) return;
      b = next_claim_++;
    }
    try {
      Batch batch = build_batch(b);
      std::lock_guard<std::mutex> lk(mu_);
      ready_.emplace(b, std::move(batch));
    } catch (...) {
      std::lock_guard<std::mutex> lk(mu_);
      if (!error_) error_ = std::current_exception();
    }
    ready_cv_.notify_all();
  }
}

std::optional<Batch> Loader::next() {
  if (epoch_ < 0) throw std::runtime_error("Loader::next: call start_epoch first");
  if (next_out_ >= batches_per_epoch()) return std::nullopt;
  if (opts_.workers == 0) return build_batch(next_out_++);
  std::unique_lock<std::mutex> lk(mu_);
  ready_cv_.wait(lk, [&] { return error_ || ready_.count(next_out_) > 0; });
  if (error_) std::rethrow_exception(error_);
  auto it = ready_.find(next_out_);
  Batch batch = std::move(it->second);
  ready_.erase(it);
  ++next_out_;
  lk.unlock();
  space_cv_.notify_all();
  return batch;
}

Batch Loader::build_batch(int64_t batch) const {
  const int64_t begin = batch * opts_.batch_size;
  const int64_t end = std::min(data_.n, begin + opts_.batch_size);
  Batch out;
  out.b = end - begin, out.c = data_.c, out.h = out_h_, out.w = out_w_;
  out.num_classes = data_.num_classes;
  const int64_t out_size = out.c * out.h * out.w;
  out.images.resize(static_cast<size_t>(out.b * out_size));
  out.indices.assign(order_.begin() + begin, order_.begin() + end);
  for (int64_t r = 0; r < out.b; ++r) {
    const int64_t i = out.indices[r];
    transform_.apply(data_.image(i), data_.c, data_.h, data_.w, opts_.seed, epoch_, i,
                     out.images.data() + r * out_size);
    if (!data_.labels.empty()) out.labels.push_back(data_.labels[i]);
    if (!data_.multi_hot.empty())
      out.multi_hot.insert(out.multi_hot.end(), data_.multi_hot.begin() + i * data_.num_classes,
                           data_.multi_hot.begin() + (i + 1) * data_.num_classes);
  }
  return out;
}

}  // namespace he::data
