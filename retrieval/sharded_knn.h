#pragma once
// k-NN over a database split across the ranks of an mpirun job (engine/dist/comm.h): each rank
// searches its contiguous block of rows, and the root merges the per-rank lists into the
// answer one process gives over the whole database, tie order included: hits sorted by
// (distance, database row). Any backend serves as a rank's index, since every backend returns
// that order within its own rows.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/dist/comm.h"
#include "retrieval/index.h"

namespace he::retrieval {

// parts[s]: the hits of shard s, ids local to it (0-based), k_s = parts[s].k <= k columns;
// shard s's first row is offsets[s] of the whole database. -> (nq, k), ids global. Throws
// std::invalid_argument when the parts' query counts differ or fewer than k hits exist.
KnnResult merge_shard_knn(const std::vector<KnnResult>& parts, const std::vector<size_t>& offsets,
                          size_t nq, size_t k);

// This rank's part of a sharded search: `shard` holds the rows [row_offset, row_offset +
// shard->size()) of a database of n_total rows (null for an empty shard); queries are the
// same on every rank. Returns the merged (nq, k) result on the root, an empty one elsewhere.
// stats (optional) gets the counts summed over ranks. Throws unless 1 <= k <= n_total.
KnnResult sharded_knn(dist::World& world, const BinaryIndex* shard, const PackedCodes& queries,
                      size_t k, size_t row_offset, size_t n_total, SearchStats* stats = nullptr);

}  // namespace he::retrieval
