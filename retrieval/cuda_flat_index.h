#pragma once
// The CUDA backend of the flat index: the exhaustive scan of kernels/hamming.h on one
// device, with results identical to the CPU scan (same distances, ids and tie order). The
// codes live in device memory; a host copy (or view) is kept for codes() and save().
#include <memory>
#include <string>

#include "retrieval/index.h"

namespace he::retrieval {

class CudaFlatIndex : public BinaryIndex {
 public:
  // Throws std::runtime_error at once when cuda:`device` cannot be used.
  CudaFlatIndex(int bits, int device);
  CudaFlatIndex(PackedCodes codes, int device);

  size_t size() const override { return host_.size(); }
  std::string kind() const override { return "flat"; }
  std::string device() const override { return "cuda:" + std::to_string(device_); }
  void add(const PackedCodes& codes) override;
  KnnResult search(const PackedCodes& queries, size_t k,
                   SearchStats* stats = nullptr) const override;
  RangeResult range_search(const PackedCodes& queries, int r) const override;
  PackedCodes codes() const override { return host_; }

 private:
  PackedCodes host_;
  int device_;
  std::shared_ptr<void> db_;  // (size(), words) u64 on the device
};

}  // namespace he::retrieval
