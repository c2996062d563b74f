#pragma once
// Data-parallel training over the ranks of an mpirun job (engine/dist/comm.h). Every rank holds the
// whole model (the same seed gives the same initial weights) and draws every global batch
// from the same sampler; each trains on its block of the batch's rows, and the gradients
// are averaged over ranks before each optimiser step, so the weights stay equal everywhere.
//
// Models whose loss is computed from the whole batch (HashModel::gathers_rows: the pairwise,
// bank, asymmetric and class-target recipes on the CNN) step exactly as one process: batch
// norm synchronises its statistics, dropout draws each row's mask from the whole batch's
// counters, and the loss gathers every rank's outputs, labels and indices, so memory banks
// and learned database codes see the same rows on every rank (layers/batch_split.h). Other
// models train each rank on its own rows: a loss over in-batch pairs sees only those and
// batch norm their statistics; a per-sample loss then gives the single-process gradient up
// to summation order when the ranks' blocks are equally long.
#include <memory>
#include <vector>

#include "engine/data/image_set.h"
#include "engine/dist/comm.h"
#include "engine/tensor.h"
#include "zoo/model.h"

namespace he::zoo {

// The split of a global batch of `rows` rows over the world's ranks (shard_rows' blocks),
// with the world's allreduce and allgather as its collectives.
std::shared_ptr<const nn::BatchSplit> batch_split(int64_t rows, dist::World& world);

// Rows dist::shard_rows(B, rank, size) of images, labels and indices (undefined ones stay
// undefined), with `split` set; the batch itself when the world is one process. Throws when
// the batch has fewer rows than there are ranks.
TrainBatch rank_slice(const TrainBatch& batch, dist::World& world);

// Each defined gradient of `params` (f32, contiguous, on the CPU) replaced by its mean over
// the split's ranks, all sent in one flat buffer (the world's allreduce buckets it). Every
// rank passes the same parameters in the same order.
void average_gradients(const std::vector<Tensor>& params, const nn::BatchSplit& split);

// The mean of v over the split's ranks.
double mean_over_ranks(double v, const nn::BatchSplit& split);

// encode_set (zoo/encode.h) over the world's ranks: the set's batches of `batch` images are
// dealt out in contiguous blocks, each rank encodes its block, and every rank gets all rows,
// in order, as f32. The batches are those one process encodes, so the rows are one process's
// bit for bit (at the same thread count). Every rank calls it; alone it is encode_set.
// `database`: encode_database instead of encode (the quantised models' database side).
Tensor encode_set_sharded(HashModel& model, const data::ImageSet& set, dist::World& world,
                          int64_t batch = 1000, bool database = false);

}  // namespace he::zoo
