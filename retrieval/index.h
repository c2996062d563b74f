#pragma once
// One interface for every binary-code (Hamming) index, in the shape of FAISS's IndexBinary:
// add codes, search(queries, k), range_search(queries, r), save. The backends behind it
// (the exhaustive scan on the CPU, multi-index hashing, the exhaustive scan on a CUDA
// device) return identical results: each query's hits sorted by (distance, database row),
// ties broken by the smaller row, bit for bit the same on every backend and device.
//
// Rows are numbered in the order codes were added (0, 1, ...). Codes added as a view on a
// memory-mapped file stay a view: the first add() of an empty index copies nothing.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "retrieval/codes.h"

namespace he::retrieval {

// ids/dist: (nq, k) row-major.
struct KnnResult {
  size_t nq = 0, k = 0;
  std::vector<int64_t> ids;
  std::vector<int32_t> dist;
};

// Hits of query q: [lims[q], lims[q+1]) in ids/dist (FAISS RangeSearchResult layout).
struct RangeResult {
  std::vector<int64_t> lims;
  std::vector<int64_t> ids;
  std::vector<int32_t> dist;
};

// What a search did. probed / fallback: queries answered by the index structure and
// queries handed to the exhaustive scan because probing would have cost more; visited:
// candidate codes examined; buckets: hash buckets looked up. The exhaustive backends count
// every query as a fallback.
struct SearchStats {
  size_t probed = 0, fallback = 0, visited = 0, buckets = 0;
};

struct IndexOptions {
  std::string device = "cpu";  // "cpu", "cuda" (= cuda:0) or "cuda:N"
  int threads = 0;             // CPU threads; 0 = OpenMP default
  int mih_substrings = 0;      // MIH tables; 0 = round(bits / log2(n)) at the first add
};

class BinaryIndex {
 public:
  virtual ~BinaryIndex() = default;
  BinaryIndex(const BinaryIndex&) = delete;
  BinaryIndex& operator=(const BinaryIndex&) = delete;

  int bits() const { return bits_; }
  virtual size_t size() const = 0;
  // "flat", "mih" or "cuda-flat": the kind written to index files and printed by tools.
  virtual std::string kind() const = 0;
  // Where the search runs: "cpu" or "cuda:N".
  virtual std::string device() const = 0;

  // Appends codes:(n, bits). Throws std::invalid_argument when the bit length differs.
  virtual void add(const PackedCodes& codes) = 0;
  // queries:(nq, bits) -> (nq, k). Throws unless 1 <= k <= size() and the bits match.
  virtual KnnResult search(const PackedCodes& queries, size_t k,
                           SearchStats* stats = nullptr) const = 0;
  // Every row within Hamming distance r (inclusive) of each query. Throws if r < 0.
  virtual RangeResult range_search(const PackedCodes& queries, int r) const = 0;

  // The database codes on the host, in row order (a view where possible).
  virtual PackedCodes codes() const = 0;
  // Writes an index file (retrieval/index_file.h), atomically: the codes and this index's
  // kind; a CUDA index is saved as a flat one (the device is chosen at load time).
  void save(const std::string& path) const;

 protected:
  explicit BinaryIndex(int bits);
  void check_queries(const PackedCodes& queries, const char* op) const;
  void check_k(size_t k, const char* op) const;

 private:
  int bits_;
};

// The device index a device string names: -1 for "cpu", N for "cuda" / "cuda:N". For a
// CUDA device, checks that it can be used and throws std::runtime_error saying why not (no
// driver, no such device, built without CUDA). Throws std::invalid_argument on other text.
int parse_index_device(const std::string& device);

// kind: "flat" (exhaustive scan; on the CPU or, with opt.device = cuda, on the GPU) or
// "mih" (multi-index hashing, CPU). An empty index of `bits`-bit codes.
std::unique_ptr<BinaryIndex> make_binary_index(const std::string& kind, int bits,
                                               const IndexOptions& opt = {});
// The same index holding `codes` (a view stays a view on the CPU backends).
std::unique_ptr<BinaryIndex> make_binary_index(const std::string& kind, PackedCodes codes,
                                               const IndexOptions& opt = {});
// An index file written by save() / save_index(), its codes memory-mapped (no copy on the
// CPU), rebuilt as the kind it records; with opt.device a GPU, the flat CUDA index over the
// file's codes, whatever its kind. External ids and labels stay in the file (load_index
// reads them).
std::unique_ptr<BinaryIndex> read_binary_index(const std::string& path,
                                               const IndexOptions& opt = {});

}  // namespace he::retrieval
