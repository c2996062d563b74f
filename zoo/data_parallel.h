#pragma once
// Data-parallel training over the ranks of an mpirun job (engine/dist/comm.h). Every rank holds the
// whole model (the same seed gives the same initial weights) and draws every global batch
// from the same sampler; each trains on its block of the batch's rows, and the gradients
// are averaged over ranks before each optimiser step, so the weights stay equal everywhere.
//
// Differences from one process (stated, measured in the commit that added this file):
// - a loss over in-batch pairs or triplets sees only the rank's rows, not the global batch;
// - batch norm normalises with the rank's statistics (no sync BN);
// - memory banks and learned database codes (dsh, adsh, csq) are updated from the rank's rows
//   only, so those models drift apart across ranks.
// A per-sample loss with no batch norm gives the single-process gradient up to summation
// order when the ranks' blocks are equally long.
#include <vector>

#include "engine/dist/comm.h"
#include "engine/tensor.h"
#include "zoo/model.h"

namespace he::zoo {

// Rows dist::shard_rows(B, rank, size) of images, labels and indices (undefined ones stay
// undefined). Throws when the batch has fewer rows than there are ranks.
TrainBatch rank_slice(const TrainBatch& batch, const dist::World& world);

// Each defined gradient of `params` (f32, contiguous, on the CPU) replaced by its mean over
// ranks, all sent in the World's buckets. Every rank passes the same parameters in the same
// order.
void average_gradients(const std::vector<Tensor>& params, dist::World& world);

}  // namespace he::zoo
