#pragma once
// Allreduce of device (CUDA) buffers over NCCL, one communicator across the World's ranks,
// set up over MPI: rank 0 makes the NCCL unique id and MPI broadcasts it. Built when the
// build has CUDA, MPI and NCCL (HE_WITH_NCCL); otherwise the constructor throws, so
// callers choose the host path with built_with_nccl().
#include <cstddef>

#include "engine/dist/comm.h"

namespace he::dist {

bool built_with_nccl();

class NcclComm {
 public:
  // This rank's CUDA device is `device` (usually local rank % devices per node).
  NcclComm(World& world, int device);
  ~NcclComm();
  NcclComm(const NcclComm&) = delete;
  NcclComm& operator=(const NcclComm&) = delete;

  // x: (n) on this rank's device, in place: the sum / mean over ranks, issued on `stream`
  // (a cudaStream_t; null = the default stream) in buckets of the World's bucket size, and
  // waited for before returning.
  void allreduce_sum(float* x, size_t n, void* stream = nullptr);
  void allreduce_mean(float* x, size_t n, void* stream = nullptr);
  void allreduce_sum(double* x, size_t n, void* stream = nullptr);
  void allreduce_mean(double* x, size_t n, void* stream = nullptr);

 private:
  World& world_;
  int device_ = -1;
  void* comm_ = nullptr;  // ncclComm_t
};

}  // namespace he::dist
