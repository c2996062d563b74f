#include "engine/dist/comm.h"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <stdexcept>
#include <string>

#ifdef HE_WITH_MPI
#include <mpi.h>
#endif

namespace he::dist {

bool built_with_mpi() {
#ifdef HE_WITH_MPI
  return true;
#else
  return false;
#endif
}

bool launched_by_mpirun() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(v)) return true;
  return false;
}

Shard shard_rows(size_t n, int rank, int size) {
  if (size < 1 || rank < 0 || rank >= size)
    throw std::invalid_argument("shard_rows: rank " + std::to_string(rank) + " of " +
                                std::to_string(size));
  const size_t base = n / size, extra = n % size, r = static_cast<size_t>(rank);
  Shard s;
  s.begin = r * base + std::min(r, extra);
  s.end = s.begin + base + (r < extra ? 1 : 0);
  return s;
}

World& World::get() {
  static World w;
  return w;
}

void World::set_bucket_bytes(size_t b) {
  if (b < 64) throw std::invalid_argument("allreduce bucket of " + std::to_string(b) + " bytes");
  bucket_bytes_ = std::min<size_t>(b, INT_MAX);
}

#ifdef HE_WITH_MPI

namespace {
// MPI counts are int: a message over 2 GiB must be split by the caller.
int checked_count(size_t bytes, const char* op) {
  if (bytes > static_cast<size_t>(INT_MAX))
    throw std::runtime_error(std::string(op) + ": " + std::to_string(bytes) +
                             " bytes exceed MPI's 2^31-1 count");
  return static_cast<int>(bytes);
}

template <class T>
void allreduce_buckets(T* x, size_t n, size_t bucket_bytes, MPI_Datatype type) {
  const size_t step = std::max<size_t>(1, bucket_bytes / sizeof(T));
  for (size_t i = 0; i < n; i += step)
    MPI_Allreduce(MPI_IN_PLACE, x + i, static_cast<int>(std::min(step, n - i)), type, MPI_SUM,
                  MPI_COMM_WORLD);
}

// Displacements for variable-length collectives, after everyone's byte counts are known.
std::vector<int> displacements(const std::vector<int>& counts, size_t& total, const char* op) {
  std::vector<int> d(counts.size());
  total = 0;
  for (size_t r = 0; r < counts.size(); ++r) {
    d[r] = checked_count(total, op);
    total += static_cast<size_t>(counts[r]);
  }
  checked_count(total, op);
  return d;
}
}  // namespace

World::World() {
  if (!launched_by_mpirun()) return;
  int inited = 0;
  MPI_Initialized(&inited);
  if (!inited) {
    int provided = 0;  // collectives are called from one thread; OpenMP threads never call MPI
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    mpi_ = true;
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

World::~World() {
  int finalized = 0;
  if (mpi_ && (MPI_Finalized(&finalized), !finalized)) MPI_Finalize();
}

void World::barrier() {
  if (distributed()) MPI_Barrier(MPI_COMM_WORLD);
}
void World::allreduce_sum(float* x, size_t n) {
  if (distributed()) allreduce_buckets(x, n, bucket_bytes_, MPI_FLOAT);
}
void World::allreduce_sum(double* x, size_t n) {
  if (distributed()) allreduce_buckets(x, n, bucket_bytes_, MPI_DOUBLE);
}
int64_t World::allreduce_sum(int64_t v) {
  if (distributed()) MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
  return v;
}

void World::allgather_bytes(const void* send, size_t bytes, void* out) {
  if (!distributed()) {
    if (bytes) std::memcpy(out, send, bytes);
    return;
  }
  checked_count(bytes * size_, "allgather");
  MPI_Allgather(send, static_cast<int>(bytes), MPI_BYTE, out, static_cast<int>(bytes), MPI_BYTE,
                MPI_COMM_WORLD);
}

std::vector<uint8_t> World::allgatherv_bytes(const void* send, size_t bytes,
                                             std::vector<size_t>& counts) {
  const auto* p = static_cast<const uint8_t*>(send);
  if (!distributed()) {
    counts.assign(1, bytes);
    return std::vector<uint8_t>(p, p + bytes);
  }
  int mine = checked_count(bytes, "allgatherv");
  std::vector<int> c(size_);
  MPI_Allgather(&mine, 1, MPI_INT, c.data(), 1, MPI_INT, MPI_COMM_WORLD);
  size_t total = 0;
  std::vector<int> d = displacements(c, total, "allgatherv");
  std::vector<uint8_t> out(total);
  MPI_Allgatherv(send, mine, MPI_BYTE, out.data(), c.data(), d.data(), MPI_BYTE, MPI_COMM_WORLD);
  counts.assign(c.begin(), c.end());
  return out;
}

std::vector<uint8_t> World::gatherv_bytes(const void* send, size_t bytes,
                                          std::vector<size_t>& counts, int root) {
  const auto* p = static_cast<const uint8_t*>(send);
  if (!distributed()) {
    counts.assign(1, bytes);
    return std::vector<uint8_t>(p, p + bytes);
  }
  int mine = checked_count(bytes, "gatherv");
  std::vector<int> c(size_);
  MPI_Gather(&mine, 1, MPI_INT, c.data(), 1, MPI_INT, root, MPI_COMM_WORLD);
  size_t total = 0;
  std::vector<int> d;
  std::vector<uint8_t> out;
  if (rank_ == root) {
    d = displacements(c, total, "gatherv");
    out.resize(total);
    counts.assign(c.begin(), c.end());
  } else {
    counts.clear();
  }
  MPI_Gatherv(send, mine, MPI_BYTE, out.data(), c.data(), d.data(), MPI_BYTE, root, MPI_COMM_WORLD);
  return out;
}

void World::broadcast(void* data, size_t bytes, int root) {
  if (!distributed()) return;
  auto* p = static_cast<uint8_t*>(data);
  for (size_t i = 0; i < bytes; i += INT_MAX)  // large payloads in 2 GiB pieces
    MPI_Bcast(p + i, static_cast<int>(std::min<size_t>(INT_MAX, bytes - i)), MPI_BYTE, root,
              MPI_COMM_WORLD);
}

void World::abort(int code) {
  if (distributed()) MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);
}

#else  // built without MPI: a group of one

World::World() = default;
World::~World() = default;
void World::barrier() {}
void World::allreduce_sum(float*, size_t) {}
void World::allreduce_sum(double*, size_t) {}
int64_t World::allreduce_sum(int64_t v) { return v; }
void World::allgather_bytes(const void* send, size_t bytes, void* out) {
  if (bytes) std::memcpy(out, send, bytes);
}
std::vector<uint8_t> World::allgatherv_bytes(const void* send, size_t bytes,
                                             std::vector<size_t>& counts) {
  counts.assign(1, bytes);
  const auto* p = static_cast<const uint8_t*>(send);
  return std::vector<uint8_t>(p, p + bytes);
}
std::vector<uint8_t> World::gatherv_bytes(const void* send, size_t bytes,
                                          std::vector<size_t>& counts, int) {
  return allgatherv_bytes(send, bytes, counts);
}
void World::broadcast(void*, size_t, int) {}
void World::abort(int code) { std::exit(code); }

#endif

void World::allreduce_mean(float* x, size_t n) {
  allreduce_sum(x, n);
  if (size_ > 1)
    for (size_t i = 0; i < n; ++i) x[i] /= static_cast<float>(size_);
}
void World::allreduce_mean(double* x, size_t n) {
  allreduce_sum(x, n);
  if (size_ > 1)
    for (size_t i = 0; i < n; ++i) x[i] /= static_cast<double>(size_);
}

}  // namespace he::dist
