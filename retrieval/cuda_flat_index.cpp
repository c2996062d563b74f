#include "retrieval/cuda_flat_index.h"

#include <algorithm>
#include <stdexcept>

#include "kernels/hamming.h"
#include "kernels/runtime.h"

namespace he::retrieval {

namespace {

namespace kc = kernels::cuda;

// Device memory of `bytes` (at least one word, so an empty index has a valid pointer).
std::shared_ptr<void> device_alloc(size_t bytes, int device) {
  void* p = kc::raw_malloc(std::max<size_t>(bytes, 8), device);
  return std::shared_ptr<void>(p, [device](void* q) { kc::raw_free(q, device); });
}

size_t code_bytes(const PackedCodes& c) { return c.size() * c.words_per_code() * sizeof(uint64_t); }

// The kernels' arguments: queries (device copy) against the index's device codes.
kernels::cpu::HammingArgs device_args(const void* queries, size_t nq, const void* db, size_t n,
                                      const PackedCodes& host) {
  kernels::cpu::HammingArgs a;
  a.queries = static_cast<const uint64_t*>(queries);
  a.nq = nq;
  a.db = static_cast<const uint64_t*>(db);
  a.n = n;
  a.words = host.words_per_code();
  a.bits = host.bits();
  return a;
}

}  // namespace

CudaFlatIndex::CudaFlatIndex(int bits, int device) : CudaFlatIndex(PackedCodes(0, bits), device) {}

CudaFlatIndex::CudaFlatIndex(PackedCodes codes, int device)
    : BinaryIndex(codes.bits()), host_(std::move(codes)), device_(device) {
  kc::require_device(device_);
  if (host_.words_per_code() > 16)
    throw std::invalid_argument("CudaFlatIndex: " + std::to_string(host_.bits()) +
                                "-bit codes; the CUDA scan takes at most 1024 bits");
  db_ = device_alloc(code_bytes(host_), device_);
  if (host_.size()) kc::copy_h2d(db_.get(), host_.data(), code_bytes(host_), device_);
}

void CudaFlatIndex::add(const PackedCodes& codes) {
  check_queries(codes, "CudaFlatIndex::add");
  PackedCodes all = host_.size() == 0 ? codes : concat_codes(host_, codes);
  std::shared_ptr<void> db = device_alloc(code_bytes(all), device_);
  if (all.size()) kc::copy_h2d(db.get(), all.data(), code_bytes(all), device_);
  host_ = std::move(all);
  db_ = std::move(db);
}

KnnResult CudaFlatIndex::search(const PackedCodes& queries, size_t k, SearchStats* stats) const {
  check_queries(queries, "CudaFlatIndex::search");
  check_k(k, "CudaFlatIndex::search");
  const size_t nq = queries.size();
  KnnResult res{nq, k, std::vector<int64_t>(nq * k), std::vector<int32_t>(nq * k)};
  if (stats) *stats = {0, nq, nq * size()};
  if (nq == 0) return res;
  std::shared_ptr<void> q = device_alloc(code_bytes(queries), device_);
  std::shared_ptr<void> ids = device_alloc(nq * k * sizeof(int64_t), device_);
  std::shared_ptr<void> dist = device_alloc(nq * k * sizeof(int32_t), device_);
  kc::copy_h2d(q.get(), queries.data(), code_bytes(queries), device_);  // also selects device_
  const auto a = device_args(q.get(), nq, db_.get(), size(), host_);
  kc::hamming_knn(a, k, static_cast<int64_t*>(ids.get()), static_cast<int32_t*>(dist.get()));
  kc::copy_d2h(res.ids.data(), ids.get(), nq * k * sizeof(int64_t), device_);
  kc::copy_d2h(res.dist.data(), dist.get(), nq * k * sizeof(int32_t), device_);
  return res;
}

RangeResult CudaFlatIndex::range_search(const PackedCodes& queries, int r) const {
  check_queries(queries, "CudaFlatIndex::range_search");
  if (r < 0)
    throw std::invalid_argument("CudaFlatIndex::range_search: r must be >= 0, got " +
                                std::to_string(r));
  RangeResult res;
  const size_t nq = queries.size();
  if (nq == 0) {
    res.lims.assign(1, 0);
    return res;
  }
  std::shared_ptr<void> q = device_alloc(code_bytes(queries), device_);
  kc::copy_h2d(q.get(), queries.data(), code_bytes(queries), device_);
  const auto a = device_args(q.get(), nq, db_.get(), size(), host_);
  kc::hamming_radius(a, r, res.lims, res.ids, res.dist);
  return res;
}

}  // namespace he::retrieval
