// CUDA Hamming search (kernels/hamming.h): XOR + popcount over database tiles held in shared
// memory, and top-k by counting selection, so the results equal the CPU's exactly.
//
// k-NN for a batch of queries, in passes over the database:
//   1. histogram: hist[q][d] = number of codes at distance d (integer atomics: exact);
//   2. threshold: t = the k-th smallest distance, below = codes with d < t, need = k - below;
//   3. tie count: per 256-code tile, how many codes sit at distance t; an exclusive scan over
//      all (query, tile) counts, less the query's first entry, gives each tile the number of
//      the query's ties before it;
//   4. collect:   codes with d < t go to slots [0, below) in any order; the tie of tie-rank
//      (ties before its tile + ties before it in the tile) < need goes straight to slot
//      below + rank (ties are in index order by construction, and come after every d < t);
//   5. sort the first `below` keys (distance << 40 | index) of each query, which are unique.
#include <cub/device/device_scan.cuh>
#include <cub/device/device_segmented_radix_sort.cuh>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"
#include "kernels/hamming.h"

namespace he::kernels::cuda {
namespace {

constexpr int kTile = 256;     // codes per tile = threads per block, one code per thread
constexpr int kMaxWords = 16;  // 1024-bit codes
constexpr int kMaxBatch = 16;  // queries per pass over the database
constexpr size_t kSmemBudget = 44 * 1024;
constexpr int kIdBits = 40;
constexpr uint64_t kIdMask = (uint64_t{1} << kIdBits) - 1;
constexpr unsigned kFull = 0xffffffffu;

// Shared memory layout of the scan kernels: queries (Q, W) then the tile, word-major
// (tile[w * kTile + c]) so the threads of a warp read consecutive words.
__device__ inline void load_queries(const uint64_t* __restrict__ queries, int q_count, int W,
                                    uint64_t* sq) {
  for (int i = threadIdx.x; i < q_count * W; i += blockDim.x) sq[i] = queries[i];
}

__device__ inline void load_tile(const uint64_t* __restrict__ db, int64_t n, int W, int64_t tile,
                                 uint64_t* st) {
  const int64_t base = tile * kTile;
  for (int i = threadIdx.x; i < kTile * W; i += blockDim.x) {
    const int c = i / W, w = i % W;
    st[w * kTile + c] = base + c < n ? db[base * W + i] : 0;  // coalesced global reads
  }
}

__device__ inline int tile_distance(const uint64_t* st, const uint64_t* sq, int W, int q) {
  int d = 0;
  for (int w = 0; w < W; ++w) d += __popcll(st[w * kTile + threadIdx.x] ^ sq[q * W + w]);
  return d;
}

// queries:(Q,W), db:(n,W) -> hist:(Q, bits+1) u32 (zeroed by the caller), added to.
__global__ void histogram_kernel(const uint64_t* __restrict__ queries, int Q,
                                 const uint64_t* __restrict__ db, int64_t n, int W, int bits,
                                 uint32_t* __restrict__ hist) {
  extern __shared__ uint64_t smem[];
  uint64_t* sq = smem;
  uint64_t* st = sq + Q * W;
  uint32_t* sh = reinterpret_cast<uint32_t*>(st + kTile * W);
  const int bins = bits + 1;
  load_queries(queries, Q, W, sq);
  for (int i = threadIdx.x; i < Q * bins; i += blockDim.x) sh[i] = 0;
  const int64_t ntiles = (n + kTile - 1) / kTile;
  for (int64_t tile = blockIdx.x; tile < ntiles; tile += gridDim.x) {
    __syncthreads();  // queries and bins ready / previous tile consumed
    load_tile(db, n, W, tile, st);
    __syncthreads();
    if (tile * kTile + threadIdx.x < n)
      for (int q = 0; q < Q; ++q) atomicAdd(&sh[q * bins + tile_distance(st, sq, W, q)], 1u);
  }
  __syncthreads();
  for (int i = threadIdx.x; i < Q * bins; i += blockDim.x)
    if (sh[i]) atomicAdd(&hist[i], sh[i]);
}

// hist:(Q, bits+1) -> t[q] = k-th smallest distance, below[q] = codes with d < t, and the
// sort segments [q*k, q*k + below) of the keys.
__global__ void threshold_kernel(const uint32_t* __restrict__ hist, int Q, int bits, uint64_t k,
                                 int* __restrict__ t_out, uint64_t* __restrict__ below_out,
                                 int* __restrict__ seg_begin, int* __restrict__ seg_end) {
  const int q = blockIdx.x * blockDim.x + threadIdx.x;
  if (q >= Q) return;
  const uint32_t* h = hist + int64_t(q) * (bits + 1);
  uint64_t below = 0;
  int t = 0;
  while (t < bits && below + h[t] < k) below += h[t++];  // sum(h) = n >= k stops it by t = bits
  t_out[q] = t;
  below_out[q] = below;
  seg_begin[q] = static_cast<int>(q * k);
  seg_end[q] = static_cast<int>(q * k + below);
}

// -> ties:(Q, ntiles) u64: codes of each tile at distance t[q].
__global__ void tie_count_kernel(const uint64_t* __restrict__ queries, int Q,
                                 const uint64_t* __restrict__ db, int64_t n, int W,
                                 const int* __restrict__ t, uint64_t* __restrict__ ties) {
  extern __shared__ uint64_t smem[];
  uint64_t* sq = smem;
  uint64_t* st = sq + Q * W;
  const int64_t tile = blockIdx.x, ntiles = gridDim.x;
  load_queries(queries, Q, W, sq);
  load_tile(db, n, W, tile, st);
  __syncthreads();
  const bool valid = tile * kTile + threadIdx.x < n;
  for (int q = 0; q < Q; ++q) {
    const int c = __syncthreads_count(valid && tile_distance(st, sq, W, q) == t[q]);
    if (threadIdx.x == 0) ties[q * ntiles + tile] = static_cast<uint64_t>(c);
  }
}

__device__ inline uint64_t make_key(int d, int64_t id) {
  return (static_cast<uint64_t>(d) << kIdBits) | static_cast<uint64_t>(id);
}

// Step 4 of the k-NN (see the top of the file) -> keys:(Q, k).
__global__ void collect_knn_kernel(const uint64_t* __restrict__ queries, int Q,
                                   const uint64_t* __restrict__ db, int64_t n, int W, uint64_t k,
                                   const int* __restrict__ t, const uint64_t* __restrict__ below,
                                   const uint64_t* __restrict__ tie_prefix,
                                   unsigned long long* __restrict__ slot,
                                   uint64_t* __restrict__ keys) {
  extern __shared__ uint64_t smem[];
  __shared__ int warp_ties[kTile / 32];
  uint64_t* sq = smem;
  uint64_t* st = sq + Q * W;
  const int64_t tile = blockIdx.x, ntiles = gridDim.x;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  load_queries(queries, Q, W, sq);
  load_tile(db, n, W, tile, st);
  __syncthreads();
  const int64_t id = tile * kTile + threadIdx.x;
  const bool valid = id < n;
  for (int q = 0; q < Q; ++q) {
    const int d = valid ? tile_distance(st, sq, W, q) : 0;
    uint64_t* qkeys = keys + q * k;
    if (valid && d < t[q]) qkeys[atomicAdd(&slot[q], 1ull)] = make_key(d, id);
    const bool tie = valid && d == t[q];
    const unsigned m = __ballot_sync(kFull, tie);
    if (lane == 0) warp_ties[warp] = __popc(m);
    __syncthreads();
    if (tie) {
      // Ties of this query in earlier tiles: the scan runs over all queries' rows at once.
      uint64_t rank =
          tie_prefix[q * ntiles + tile] - tie_prefix[q * ntiles] + __popc(m & ((1u << lane) - 1));
      for (int w = 0; w < warp; ++w) rank += warp_ties[w];
      if (rank < k - below[q]) qkeys[below[q] + rank] = make_key(d, id);
    }
    __syncthreads();  // warp_ties is reused by the next query
  }
}

// keys_sorted holds the sorted d < t part, keys the ties -> ids:(Q,k), dist:(Q,k).
__global__ void write_knn_kernel(const uint64_t* __restrict__ keys_sorted,
                                 const uint64_t* __restrict__ keys,
                                 const uint64_t* __restrict__ below, int Q, uint64_t k,
                                 int64_t* __restrict__ ids, int32_t* __restrict__ dist) {
  const uint64_t total = uint64_t(Q) * k;
  for (uint64_t i = uint64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += uint64_t(gridDim.x) * blockDim.x) {
    const uint64_t q = i / k, j = i % k;
    const uint64_t key = j < below[q] ? keys_sorted[i] : keys[i];
    ids[i] = static_cast<int64_t>(key & kIdMask);
    dist[i] = static_cast<int32_t>(key >> kIdBits);
  }
}

// Radius: codes with d <= r -> keys[offset[q] + slot] in any order (sorted afterwards).
__global__ void collect_radius_kernel(const uint64_t* __restrict__ queries, int Q,
                                      const uint64_t* __restrict__ db, int64_t n, int W, int r,
                                      const int* __restrict__ offset,
                                      unsigned long long* __restrict__ slot,
                                      uint64_t* __restrict__ keys) {
  extern __shared__ uint64_t smem[];
  uint64_t* sq = smem;
  uint64_t* st = sq + Q * W;
  const int64_t tile = blockIdx.x;
  load_queries(queries, Q, W, sq);
  load_tile(db, n, W, tile, st);
  __syncthreads();
  const int64_t id = tile * kTile + threadIdx.x;
  if (id >= n) return;  // no block-wide sync follows
  for (int q = 0; q < Q; ++q) {
    const int d = tile_distance(st, sq, W, q);
    if (d <= r) keys[offset[q] + atomicAdd(&slot[q], 1ull)] = make_key(d, id);
  }
}

// queries:(Q,W) (Q <= gridDim.y * kMaxBatch) -> out:(Q, n) distances of type OutT.
template <class OutT>
__global__ void distance_matrix_kernel(const uint64_t* __restrict__ queries, int Q,
                                       const uint64_t* __restrict__ db, int64_t n, int W,
                                       OutT* __restrict__ out) {
  extern __shared__ uint64_t smem[];
  const int q0 = blockIdx.y * kMaxBatch, qn = min(kMaxBatch, Q - q0);
  uint64_t* sq = smem;
  uint64_t* st = sq + kMaxBatch * W;
  load_queries(queries + int64_t(q0) * W, qn, W, sq);
  const int64_t ntiles = (n + kTile - 1) / kTile;
  for (int64_t tile = blockIdx.x; tile < ntiles; tile += gridDim.x) {
    __syncthreads();
    load_tile(db, n, W, tile, st);
    __syncthreads();
    const int64_t id = tile * kTile + threadIdx.x;
    if (id < n)
      for (int q = 0; q < qn; ++q)
        out[int64_t(q0 + q) * n + id] = static_cast<OutT>(tile_distance(st, sq, W, q));
  }
}

__global__ void rank_init_kernel(uint32_t* __restrict__ values, int* __restrict__ offsets, int Q,
                                 int64_t n) {
  const int64_t total = int64_t(Q) * n;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    values[i] = static_cast<uint32_t>(i % n);
    if (i % n == 0) offsets[i / n] = static_cast<int>(i);
  }
  if (blockIdx.x == 0 && threadIdx.x == 0) offsets[Q] = static_cast<int>(total);
}

// ---- host side ----

void check_args(const HammingArgs& a, const char* op) {
  auto fail = [&](const std::string& what) {
    throw std::invalid_argument(std::string(op) + " (cuda): " + what +
                                " (nq=" + std::to_string(a.nq) + ", n=" + std::to_string(a.n) +
                                ", words=" + std::to_string(a.words) +
                                ", bits=" + std::to_string(a.bits) + ")");
  };
  if (a.words == 0 || a.bits <= 0 || static_cast<size_t>(a.bits) > 64 * a.words ||
      static_cast<size_t>(a.bits) <= 64 * (a.words - 1))
    fail("bits must satisfy 64*(words-1) < bits <= 64*words");
  if (a.words > static_cast<size_t>(kMaxWords)) fail("codes longer than 1024 bits");
  if (a.n >= (uint64_t{1} << kIdBits)) fail("database too large");
  if ((a.nq && !a.queries) || (a.n && !a.db)) fail("null pointer");
}

int bit_width(int v) {
  int b = 0;
  while (v >> b) ++b;
  return b;
}

// Dynamic shared memory of a scan kernel over Q queries.
size_t scan_smem(int Q, int W) { return sizeof(uint64_t) * size_t(Q + kTile) * W; }

// Queries per pass: as many as the histogram's shared bins allow, at most kMaxBatch.
int batch_queries(const HammingArgs& a) {
  const size_t W = a.words, per_query = 8 * W + 4 * size_t(a.bits + 1);
  const size_t left = kSmemBudget - sizeof(uint64_t) * kTile * W;  // >= 11 KiB for W <= 16
  return static_cast<int>(std::max<size_t>(1, std::min<size_t>(kMaxBatch, left / per_query)));
}

// Carves one workspace into aligned arrays: offsets first, then the pointers.
struct Carve {
  size_t bytes = 0;
  template <class T>
  size_t add(size_t count) {
    bytes = (bytes + 255) / 256 * 256;
    size_t at = bytes;
    bytes += sizeof(T) * count;
    return at;
  }
  template <class T>
  static T* at(void* base, size_t offset) {
    return reinterpret_cast<T*>(static_cast<char*>(base) + offset);
  }
};

unsigned tiles_of(size_t n) { return static_cast<unsigned>((n + kTile - 1) / kTile); }

void launch_histogram(Context& ctx, const HammingArgs& a, size_t q0, int Q, uint32_t* hist) {
  const int W = static_cast<int>(a.words);
  const size_t smem = scan_smem(Q, W) + sizeof(uint32_t) * Q * size_t(a.bits + 1);
  const unsigned grid = std::max(1u, std::min(tiles_of(a.n), 2048u));
  HE_CUDA_CHECK(cudaMemsetAsync(hist, 0, sizeof(uint32_t) * Q * size_t(a.bits + 1), ctx.stream));
  if (a.n == 0) return;
  histogram_kernel<<<grid, kTile, smem, ctx.stream>>>(a.queries + q0 * W, Q, a.db,
                                                      static_cast<int64_t>(a.n), W, a.bits, hist);
  HE_CUDA_CHECK_LAUNCH("histogram_kernel");
}

}  // namespace

void hamming_histogram(const HammingArgs& a, uint32_t* hist) {
  check_args(a, "hamming_histogram");
  if (a.nq == 0) return;
  Context& ctx = current_context();
  const int B = batch_queries(a);
  for (size_t q0 = 0; q0 < a.nq; q0 += B) {
    const int Q = static_cast<int>(std::min<size_t>(B, a.nq - q0));
    launch_histogram(ctx, a, q0, Q, hist + q0 * (a.bits + 1));
  }
  sync(ctx);
}

void hamming_knn(const HammingArgs& a, size_t k, int64_t* ids, int32_t* dist) {
  check_args(a, "hamming_knn");
  if (k < 1 || k > a.n)
    throw std::invalid_argument("hamming_knn (cuda): k=" + std::to_string(k) +
                                " must be in [1, n=" + std::to_string(a.n) + "]");
  if (k > 0x7fffffffu)
    throw std::invalid_argument("hamming_knn (cuda): k=" + std::to_string(k) + " above 2^31 - 1");
  if (a.nq == 0) return;
  Context& ctx = current_context();
  const int W = static_cast<int>(a.words);
  const int64_t n = static_cast<int64_t>(a.n);
  const unsigned ntiles = tiles_of(a.n);
  // Queries per batch: shared memory allows batch_queries(a); the keys (16 bytes per query and
  // neighbour) stay within about 1 GiB, and their count within CUB's int offsets.
  const int B = static_cast<int>(
      std::max<size_t>(1, std::min<size_t>(batch_queries(a), (size_t{1} << 26) / k)));
  const int end_bit = kIdBits + bit_width(a.bits);

  // Workspace for one batch of B queries; CUB's scan and sort share one scratch area (they run
  // one after the other on the stream).
  const int64_t tie_items = int64_t(B) * ntiles;
  size_t sort_bytes = 0, scan_bytes = 0;
  HE_CUDA_CHECK(cub::DeviceSegmentedRadixSort::SortKeys(
      nullptr, sort_bytes, static_cast<const uint64_t*>(nullptr), static_cast<uint64_t*>(nullptr),
      static_cast<int>(B * k), B, static_cast<int*>(nullptr), static_cast<int*>(nullptr), 0,
      end_bit, ctx.stream));
  HE_CUDA_CHECK(
      cub::DeviceScan::ExclusiveSum(nullptr, scan_bytes, static_cast<const uint64_t*>(nullptr),
                                    static_cast<uint64_t*>(nullptr), tie_items, ctx.stream));
  Carve c;
  const size_t o_hist = c.add<uint32_t>(size_t(B) * (a.bits + 1)), o_t = c.add<int>(B),
               o_below = c.add<uint64_t>(B), o_begin = c.add<int>(B), o_end = c.add<int>(B),
               o_slot = c.add<unsigned long long>(B), o_ties = c.add<uint64_t>(tie_items),
               o_prefix = c.add<uint64_t>(tie_items), o_keys = c.add<uint64_t>(B * k),
               o_sorted = c.add<uint64_t>(B * k),
               o_tmp = c.add<char>(std::max(sort_bytes, scan_bytes));
  std::lock_guard<std::mutex> lock(ctx.mu);
  void* ws = ctx.workspace(c.bytes);
  auto* hist = Carve::at<uint32_t>(ws, o_hist);
  auto* t = Carve::at<int>(ws, o_t);
  auto* below = Carve::at<uint64_t>(ws, o_below);
  auto* seg_begin = Carve::at<int>(ws, o_begin);
  auto* seg_end = Carve::at<int>(ws, o_end);
  auto* slot = Carve::at<unsigned long long>(ws, o_slot);
  auto* ties = Carve::at<uint64_t>(ws, o_ties);
  auto* prefix = Carve::at<uint64_t>(ws, o_prefix);
  auto* keys = Carve::at<uint64_t>(ws, o_keys);
  auto* sorted = Carve::at<uint64_t>(ws, o_sorted);
  void* tmp = Carve::at<char>(ws, o_tmp);

  for (size_t q0 = 0; q0 < a.nq; q0 += B) {
    const int Q = static_cast<int>(std::min<size_t>(B, a.nq - q0));
    const uint64_t* qs = a.queries + q0 * W;
    const size_t smem = scan_smem(Q, W);
    launch_histogram(ctx, a, q0, Q, hist);
    threshold_kernel<<<1, kMaxBatch, 0, ctx.stream>>>(hist, Q, a.bits, k, t, below, seg_begin,
                                                      seg_end);
    HE_CUDA_CHECK_LAUNCH("threshold_kernel");
    tie_count_kernel<<<ntiles, kTile, smem, ctx.stream>>>(qs, Q, a.db, n, W, t, ties);
    HE_CUDA_CHECK_LAUNCH("tie_count_kernel");
    size_t bytes = scan_bytes;
    HE_CUDA_CHECK(cub::DeviceScan::ExclusiveSum(tmp, bytes, static_cast<const uint64_t*>(ties),
                                                prefix, int64_t(Q) * ntiles, ctx.stream));
    HE_CUDA_CHECK(cudaMemsetAsync(slot, 0, sizeof(unsigned long long) * Q, ctx.stream));
    collect_knn_kernel<<<ntiles, kTile, smem, ctx.stream>>>(qs, Q, a.db, n, W, k, t, below, prefix,
                                                            slot, keys);
    HE_CUDA_CHECK_LAUNCH("collect_knn_kernel");
    bytes = sort_bytes;
    HE_CUDA_CHECK(cub::DeviceSegmentedRadixSort::SortKeys(
        tmp, bytes, static_cast<const uint64_t*>(keys), sorted, static_cast<int>(Q * k), Q,
        seg_begin, seg_end, 0, end_bit, ctx.stream));
    write_knn_kernel<<<detail::grid_for(int64_t(Q) * k), 256, 0, ctx.stream>>>(
        sorted, keys, below, Q, k, ids + q0 * k, dist + q0 * k);
    HE_CUDA_CHECK_LAUNCH("write_knn_kernel");
  }
  sync(ctx);
}

void hamming_radius(const HammingArgs& a, int r, std::vector<int64_t>& lims,
                    std::vector<int64_t>& ids, std::vector<int32_t>& dist) {
  check_args(a, "hamming_radius");
  if (r < 0)
    throw std::invalid_argument("hamming_radius (cuda): r must be >= 0, got " + std::to_string(r));
  r = std::min(r, a.bits);
  lims.assign(a.nq + 1, 0);
  ids.clear();
  dist.clear();
  if (a.nq == 0 || a.n == 0) return;
  Context& ctx = current_context();
  const int W = static_cast<int>(a.words);
  const int B = batch_queries(a);
  const int end_bit = kIdBits + bit_width(a.bits);
  std::vector<uint32_t> hist_h(size_t(B) * (a.bits + 1));
  std::vector<int> offs_h(B + 1);
  std::vector<uint64_t> keys_h;
  std::lock_guard<std::mutex> lock(ctx.mu);
  for (size_t q0 = 0; q0 < a.nq; q0 += B) {
    const int Q = static_cast<int>(std::min<size_t>(B, a.nq - q0));
    // Pass 1: the histogram gives each query's hit count, so the output is sized exactly.
    auto* hist = static_cast<uint32_t*>(ctx.workspace(sizeof(uint32_t) * B * (a.bits + 1)));
    launch_histogram(ctx, a, q0, Q, hist);
    HE_CUDA_CHECK(cudaMemcpyAsync(hist_h.data(), hist, sizeof(uint32_t) * Q * (a.bits + 1),
                                  cudaMemcpyDeviceToHost, ctx.stream));
    sync(ctx);
    uint64_t total = 0;
    for (int q = 0; q < Q; ++q) {
      offs_h[q] = static_cast<int>(total);
      for (int d = 0; d <= r; ++d) total += hist_h[size_t(q) * (a.bits + 1) + d];
      lims[q0 + q + 1] = lims[q0 + q] + static_cast<int64_t>(total - offs_h[q]);
      if (total > 0x7fffffffu)
        throw std::runtime_error("hamming_radius (cuda): more than 2^31 - 1 hits for queries " +
                                 std::to_string(q0) + ".." + std::to_string(q0 + q) +
                                 "; use a smaller radius");
    }
    offs_h[Q] = static_cast<int>(total);
    if (total == 0) continue;
    // Pass 2: collect the hits, then sort each query's keys by (distance, index).
    size_t sort_bytes = 0;
    HE_CUDA_CHECK(cub::DeviceSegmentedRadixSort::SortKeys(
        nullptr, sort_bytes, static_cast<const uint64_t*>(nullptr), static_cast<uint64_t*>(nullptr),
        static_cast<int>(total), Q, static_cast<int*>(nullptr), static_cast<int*>(nullptr), 0,
        end_bit, ctx.stream));
    Carve c;
    const size_t o_offs = c.add<int>(Q + 1), o_slot = c.add<unsigned long long>(Q),
                 o_keys = c.add<uint64_t>(total), o_sorted = c.add<uint64_t>(total),
                 o_sort = c.add<char>(sort_bytes);
    void* ws = ctx.workspace(c.bytes);
    auto* offs = Carve::at<int>(ws, o_offs);
    auto* slot = Carve::at<unsigned long long>(ws, o_slot);
    auto* keys = Carve::at<uint64_t>(ws, o_keys);
    auto* sorted = Carve::at<uint64_t>(ws, o_sorted);
    HE_CUDA_CHECK(cudaMemcpyAsync(offs, offs_h.data(), sizeof(int) * (Q + 1),
                                  cudaMemcpyHostToDevice, ctx.stream));
    HE_CUDA_CHECK(cudaMemsetAsync(slot, 0, sizeof(unsigned long long) * Q, ctx.stream));
    collect_radius_kernel<<<tiles_of(a.n), kTile, scan_smem(Q, W), ctx.stream>>>(
        a.queries + q0 * W, Q, a.db, static_cast<int64_t>(a.n), W, r, offs, slot, keys);
    HE_CUDA_CHECK_LAUNCH("collect_radius_kernel");
    HE_CUDA_CHECK(cub::DeviceSegmentedRadixSort::SortKeys(
        Carve::at<char>(ws, o_sort), sort_bytes, static_cast<const uint64_t*>(keys), sorted,
        static_cast<int>(total), Q, offs, offs + 1, 0, end_bit, ctx.stream));
    keys_h.resize(total);
    HE_CUDA_CHECK(cudaMemcpyAsync(keys_h.data(), sorted, sizeof(uint64_t) * total,
                                  cudaMemcpyDeviceToHost, ctx.stream));
    sync(ctx);
    for (uint64_t key : keys_h) {
      ids.push_back(static_cast<int64_t>(key & kIdMask));
      dist.push_back(static_cast<int32_t>(key >> kIdBits));
    }
  }
}

namespace {
template <class OutT>
void launch_distance_matrix(Context& ctx, const HammingArgs& a, OutT* out) {
  const int W = static_cast<int>(a.words);
  const size_t max_queries = size_t(65535) * kMaxBatch;  // gridDim.y limit
  const unsigned gx = std::max(1u, std::min(tiles_of(a.n), 1024u));
  for (size_t q0 = 0; q0 < a.nq; q0 += max_queries) {
    const int Q = static_cast<int>(std::min(max_queries, a.nq - q0));
    const dim3 grid(gx, (Q + kMaxBatch - 1) / kMaxBatch);
    distance_matrix_kernel<OutT><<<grid, kTile, scan_smem(kMaxBatch, W), ctx.stream>>>(
        a.queries + q0 * W, Q, a.db, static_cast<int64_t>(a.n), W, out + q0 * a.n);
    HE_CUDA_CHECK_LAUNCH("distance_matrix_kernel");
  }
}
}  // namespace

void hamming_distance_matrix(const HammingArgs& a, int32_t* out) {
  check_args(a, "hamming_distance_matrix");
  if (a.nq == 0 || a.n == 0) return;
  Context& ctx = current_context();
  launch_distance_matrix(ctx, a, out);
  sync(ctx);
}

void hamming_rank(const HammingArgs& a, uint32_t* order) {
  check_args(a, "hamming_rank");
  if (a.n > 0x7fffffffu)
    throw std::invalid_argument("hamming_rank (cuda): n=" + std::to_string(a.n) +
                                " must be below 2^31");
  if (a.nq == 0 || a.n == 0) return;
  Context& ctx = current_context();
  // Queries per batch: up to 2^26 ranked entries (about 0.5 GiB of scratch).
  const size_t B = std::max<size_t>(1, std::min(a.nq, (size_t{1} << 26) / a.n));
  const int end_bit = bit_width(a.bits);
  size_t sort_bytes = 0;
  HE_CUDA_CHECK(cub::DeviceSegmentedRadixSort::SortPairs(
      nullptr, sort_bytes, static_cast<const uint16_t*>(nullptr), static_cast<uint16_t*>(nullptr),
      static_cast<const uint32_t*>(nullptr), static_cast<uint32_t*>(nullptr),
      static_cast<int>(B * a.n), static_cast<int>(B), static_cast<int*>(nullptr),
      static_cast<int*>(nullptr), 0, end_bit, ctx.stream));
  Carve c;
  const size_t o_d = c.add<uint16_t>(B * a.n), o_dsorted = c.add<uint16_t>(B * a.n),
               o_v = c.add<uint32_t>(B * a.n), o_offs = c.add<int>(B + 1),
               o_sort = c.add<char>(sort_bytes);
  std::lock_guard<std::mutex> lock(ctx.mu);
  void* ws = ctx.workspace(c.bytes);
  auto* d = Carve::at<uint16_t>(ws, o_d);
  auto* dsorted = Carve::at<uint16_t>(ws, o_dsorted);
  auto* v = Carve::at<uint32_t>(ws, o_v);
  auto* offs = Carve::at<int>(ws, o_offs);
  for (size_t q0 = 0; q0 < a.nq; q0 += B) {
    const size_t Q = std::min(B, a.nq - q0);
    HammingArgs part = a;
    part.queries = a.queries + q0 * a.words;
    part.nq = Q;
    launch_distance_matrix(ctx, part, d);
    rank_init_kernel<<<detail::grid_for(int64_t(Q * a.n)), 256, 0, ctx.stream>>>(
        v, offs, static_cast<int>(Q), static_cast<int64_t>(a.n));
    HE_CUDA_CHECK_LAUNCH("rank_init_kernel");
    // Radix sort is stable and the values start in index order: ties stay by index.
    size_t bytes = sort_bytes;
    HE_CUDA_CHECK(cub::DeviceSegmentedRadixSort::SortPairs(
        Carve::at<char>(ws, o_sort), bytes, static_cast<const uint16_t*>(d), dsorted,
        static_cast<const uint32_t*>(v), order + q0 * a.n, static_cast<int>(Q * a.n),
        static_cast<int>(Q), offs, offs + 1, 0, end_bit, ctx.stream));
  }
  sync(ctx);
}

}  // namespace he::kernels::cuda
