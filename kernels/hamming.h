#pragma once
// Hamming-space kernels over packed binary codes: XOR + popcount, exhaustive k-NN by
// counting selection, radius search and the distance rows the metrics rank.
//
// Layout: a code of `bits` bits is `words = ceil(bits / 64)` u64 words, row-major (code i
// occupies words [i * words, (i + 1) * words)); bit j of a code is bit (j % 64) of word
// j / 64; unused high bits are zero. Distances are integers in [0, bits].
// Order: every result is sorted by (distance, database index) ascending, i.e. ties are
// broken by the smaller index, exactly like a naive scan followed by a stable sort.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace he::kernels::cpu {

// Instruction set for the popcount loops, chosen at run time (Auto = best supported).
enum class HammingIsa { Auto, Scalar, Popcnt, Avx2, Avx512 };

HammingIsa hamming_best_isa();
bool hamming_isa_supported(HammingIsa isa);
const char* hamming_isa_name(HammingIsa isa);

// The scans are query-blocked: each tile of this many queries streams the database once, in
// blocks that stay in cache while every query of the tile is compared with them.
inline constexpr size_t kHammingTileQueries = 64;

struct HammingArgs {
  const uint64_t* queries = nullptr;  // (nq, words) u64
  size_t nq = 0;
  const uint64_t* db = nullptr;  // (n, words) u64
  size_t n = 0;
  size_t words = 1;
  int bits = 64;    // code length; distances lie in [0, bits]
  int threads = 0;  // 0 = OpenMP default
  HammingIsa isa = HammingIsa::Auto;
};

// queries:(nq,words), db:(n,words) u64 -> ids:(nq,k) i64, dist:(nq,k) i32.
// Requires 1 <= k <= n. Each row sorted by (distance, index).
void hamming_knn(const HammingArgs& a, size_t k, int64_t* ids, int32_t* dist);

// queries:(nq,words), db:(n,words) u64 -> all (id, dist) with dist <= r; the hits of query q
// are ids[lims[q] .. lims[q+1]), sorted by (distance, index). lims has nq + 1 entries.
void hamming_radius(const HammingArgs& a, int r, std::vector<int64_t>& lims,
                    std::vector<int64_t>& ids, std::vector<int32_t>& dist);

// One query q:(words) against db:(n,words) -> out:(n) u16 distances (no parallelism inside;
// callers parallelise over queries).
void hamming_distances_row(const uint64_t* q, const uint64_t* db, size_t n, size_t words,
                           uint16_t* out, HammingIsa isa = HammingIsa::Auto);

// queries:(nq,words), db:(n,words) -> out:(nq,n) i32 full distance matrix.
void hamming_distance_matrix(const HammingArgs& a, int32_t* out);

// The bare distance computation of every (query, code) pair, blocked like hamming_knn but
// with no selection; returns the sum of all distances (a checksum for benchmarks).
uint64_t hamming_distance_sum(const HammingArgs& a);

// Counting sort of one row of distances: dist:(n) u16 in [0, bits] -> order:(n) indices
// sorted by (distance, index). counts must hold bits + 2 entries (scratch).
void hamming_rank_row(const uint16_t* dist, size_t n, int bits, uint32_t* order, uint32_t* counts);

}  // namespace he::kernels::cpu

// The same searches on the current CUDA device, with results identical to the CPU's (same
// distances, same ids, same order). `queries` and `db` are device pointers; `threads` and
// `isa` are ignored. Work is enqueued on the device's context stream (kernels/cuda/context.h)
// and every call returns when its results are written. Codes up to 1024 bits.
namespace he::kernels::cuda {
using cpu::HammingArgs;

// -> ids:(nq,k) i64, dist:(nq,k) i32, device memory. Requires 1 <= k <= n.
void hamming_knn(const HammingArgs& a, size_t k, int64_t* ids, int32_t* dist);
// -> lims:(nq+1), ids, dist on the host, as cpu::hamming_radius.
void hamming_radius(const HammingArgs& a, int r, std::vector<int64_t>& lims,
                    std::vector<int64_t>& ids, std::vector<int32_t>& dist);
// -> out:(nq,n) i32 device memory.
void hamming_distance_matrix(const HammingArgs& a, int32_t* out);
// The per-query ranking mAP needs. -> hist:(nq, bits+1) u32 device: hist[q][d] = number of
// codes at distance d from query q.
void hamming_histogram(const HammingArgs& a, uint32_t* hist);
// -> order:(nq,n) u32 device: each row the database indices sorted by (distance, index), the
// GPU form of hamming_distances_row + hamming_rank_row. Requires n < 2^31.
void hamming_rank(const HammingArgs& a, uint32_t* order);
}  // namespace he::kernels::cuda
