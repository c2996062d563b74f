#include "engine/dist/nccl_comm.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#ifdef HE_WITH_NCCL
#include <cuda_runtime.h>
#include <nccl.h>
#endif

namespace he::dist {

#ifdef HE_WITH_NCCL

namespace {
void check_nccl(ncclResult_t r, const char* what) {
  if (r != ncclSuccess)
    throw std::runtime_error(std::string("nccl: ") + what + ": " + ncclGetErrorString(r));
}
void check_cuda(cudaError_t r, const char* what) {
  if (r != cudaSuccess)
    throw std::runtime_error(std::string("nccl: ") + what + ": " + cudaGetErrorString(r));
}

template <class T>
void allreduce_buckets(T* x, size_t n, ncclDataType_t type, ncclRedOp_t op, size_t bucket_bytes,
                       void* comm, void* stream) {
  auto s = static_cast<cudaStream_t>(stream);
  const size_t step = std::max<size_t>(1, bucket_bytes / sizeof(T));
  for (size_t i = 0; i < n; i += step)
    check_nccl(ncclAllReduce(x + i, x + i, std::min(step, n - i), type, op,
                             static_cast<ncclComm_t>(comm), s),
               "ncclAllReduce");
  check_cuda(cudaStreamSynchronize(s), "cudaStreamSynchronize");
}
}  // namespace

bool built_with_nccl() { return true; }

NcclComm::NcclComm(World& world, int device) : world_(world), device_(device) {
  check_cuda(cudaSetDevice(device), "cudaSetDevice");
  ncclUniqueId id{};
  if (world.is_root()) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
  world.broadcast(&id, sizeof id, 0);
  ncclComm_t c = nullptr;
  check_nccl(ncclCommInitRank(&c, world.size(), id, world.rank()), "ncclCommInitRank");
  comm_ = c;
}

NcclComm::~NcclComm() {
  if (comm_) ncclCommDestroy(static_cast<ncclComm_t>(comm_));
}

void NcclComm::allreduce_sum(float* x, size_t n, void* stream) {
  allreduce_buckets(x, n, ncclFloat32, ncclSum, world_.bucket_bytes(), comm_, stream);
}
void NcclComm::allreduce_mean(float* x, size_t n, void* stream) {
  allreduce_buckets(x, n, ncclFloat32, ncclAvg, world_.bucket_bytes(), comm_, stream);
}
void NcclComm::allreduce_sum(double* x, size_t n, void* stream) {
  allreduce_buckets(x, n, ncclFloat64, ncclSum, world_.bucket_bytes(), comm_, stream);
}
void NcclComm::allreduce_mean(double* x, size_t n, void* stream) {
  allreduce_buckets(x, n, ncclFloat64, ncclAvg, world_.bucket_bytes(), comm_, stream);
}

#else

bool built_with_nccl() { return false; }

NcclComm::NcclComm(World& world, int device) : world_(world), device_(device) {
  throw std::runtime_error("NcclComm: this build has no NCCL (it needs ENGINE_CUDA and MPI)");
}
NcclComm::~NcclComm() = default;
void NcclComm::allreduce_sum(float*, size_t, void*) {}
void NcclComm::allreduce_mean(float*, size_t, void*) {}
void NcclComm::allreduce_sum(double*, size_t, void*) {}
void NcclComm::allreduce_mean(double*, size_t, void*) {}

#endif

}  // namespace he::dist
