#pragma once
// Epoch iteration over an in-memory ImageSet: a Philox permutation per (seed, epoch),
// batches built by background workers into a bounded reorder buffer, handed out in batch
// order. A batch depends only on (seed, epoch, batch index), never on the worker count.
//
//   Loader loader(train, opts);
//   for (int64_t e = 0; e < epochs; ++e) {
//     loader.start_epoch(e);
//     while (std::optional<Batch> b = loader.next()) { ... }
//   }
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "engine/data/image_set.h"
#include "engine/data/transforms.h"

namespace he::data {

struct LoaderOptions {
  int64_t batch_size = 128;
  bool shuffle = true;
  bool drop_last = false;
  int workers = 2;   // 0: each batch is built inside next() on the caller's thread
  int prefetch = 4;  // at most this many batches built ahead of the consumer
  uint64_t seed = 0;
  TransformOptions transform;
};

// The order of epoch `epoch`: 0..n-1 shuffled by Fisher-Yates with Philox (seed, epoch).
std::vector<int64_t> epoch_permutation(int64_t n, uint64_t seed, int64_t epoch);

class Loader {
 public:
  // `data` must outlive the loader. One consumer thread calls start_epoch / next.
  Loader(const ImageSet& data, LoaderOptions opts);
  Loader(ImageSet&&, LoaderOptions) = delete;  // would dangle
  ~Loader();
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  // Stops the current epoch (if any) and starts `epoch` at batch `first_batch` (> 0 resumes
  // a checkpointed epoch: the remaining batches are exactly those of an uninterrupted run).
  void start_epoch(int64_t epoch, int64_t first_batch = 0);
  // The next batch of the epoch in order, nullopt at its end. Rethrows a worker's error.
  std::optional<Batch> next();
  int64_t batches_per_epoch() const;
  // Output image shape (c, h, w) after the transforms.
  int64_t out_c() const { return data_.c; }
  int64_t out_h() const { return out_h_; }
  int64_t out_w() const { return out_w_; }

 private:
  Batch build_batch(int64_t batch) const;
  void worker_loop();
  void stop_workers();

  const ImageSet& data_;
  LoaderOptions opts_;
  Transform transform_;
  int64_t out_h_ = 0, out_w_ = 0;
  int64_t epoch_ = -1;
  std::vector<int64_t> order_;

  std::mutex mu_;
  std::condition_variable ready_cv_, space_cv_;
  std::map<int64_t, Batch> ready_;
  int64_t next_claim_ = 0, next_out_ = 0;
  bool stop_ = false;
  std::exception_ptr error_;
  std::vector<std::thread> workers_;
};

}  // namespace he::data
