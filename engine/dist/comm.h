#pragma once
// The process group of a job started by mpirun (one rank per process), and the collectives
// the trainer and the search tools need: allreduce (sum / mean, f32 and f64, in buckets),
// allgather, gather to a root, broadcast, barrier. Every rank must call each collective in
// the same order with matching sizes, as MPI requires.
//
// One API whatever the build: built without MPI (ENGINE_MPI=OFF), or run without mpirun,
// the group is this process alone (rank 0 of 1) and every collective is the identity, so
// callers never branch on how the program was started.
//
// An MPI error aborts the whole job (MPI's default handler): a rank that dies mid-run takes
// the others down instead of leaving them blocked in a collective.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace he::dist {

// True when this build links MPI.
bool built_with_mpi();
// True when the environment says mpirun (OpenMPI, or a PMI / PMIx launcher) started us.
bool launched_by_mpirun();

class World {
 public:
  // The job's group. The first call initialises MPI when the process was launched by mpirun;
  // MPI is finalised at exit. MPI is one per process, so this is the one process-wide object.
  static World& get();

  World(const World&) = delete;
  World& operator=(const World&) = delete;
  ~World();

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }
  bool distributed() const { return size_ > 1; }

  void barrier();
  // x:(n) in place, the element-wise sum / mean over ranks. Sent in buckets of at most
  // bucket_bytes, so a large gradient never needs a second full-size buffer and every MPI
  // count stays below 2^31.
  void allreduce_sum(float* x, size_t n);
  void allreduce_sum(double* x, size_t n);
  void allreduce_mean(float* x, size_t n);
  void allreduce_mean(double* x, size_t n);
  // The sum over ranks of one integer (counts, flags).
  int64_t allreduce_sum(int64_t v);

  // Each rank sends `bytes` bytes (the same on every rank); out gets size() * bytes bytes,
  // rank r's at offset r * bytes.
  void allgather_bytes(const void* send, size_t bytes, void* out);
  // Each rank sends a vector of its own length; every rank gets all of them in rank order.
  template <class T>
  std::vector<T> allgatherv(const std::vector<T>& mine) {
    std::vector<size_t> counts;
    std::vector<uint8_t> raw = allgatherv_bytes(mine.data(), mine.size() * sizeof(T), counts);
    std::vector<T> out(raw.size() / sizeof(T));
    if (!raw.empty()) std::memcpy(out.data(), raw.data(), raw.size());
    return out;
  }
  // Byte form of allgatherv: counts gets each rank's byte count.
  std::vector<uint8_t> allgatherv_bytes(const void* send, size_t bytes,
                                        std::vector<size_t>& counts);
  // Each rank's bytes concatenated in rank order on `root` (counts[r] = rank r's length);
  // other ranks get an empty vector.
  std::vector<uint8_t> gatherv_bytes(const void* send, size_t bytes, std::vector<size_t>& counts,
                                     int root = 0);
  // root's `bytes` bytes copied to every rank.
  void broadcast(void* data, size_t bytes, int root = 0);
  // Ends every rank of the job with this exit code (a fatal error on one rank).
  [[noreturn]] void abort(int code);

  // Bucket size of the allreduces (default 16 MiB). Set before training starts.
  void set_bucket_bytes(size_t b);
  size_t bucket_bytes() const { return bucket_bytes_; }

 private:
  World();
  int rank_ = 0, size_ = 1;
  bool mpi_ = false;  // this process initialised MPI and must finalise it
  size_t bucket_bytes_ = size_t{16} << 20;
};

// Rows [begin, end) of n that rank `rank` of `size` owns: contiguous blocks, the first
// n % size ranks one row longer, so the blocks in rank order are rows 0..n-1.
struct Shard {
  size_t begin = 0, end = 0;
  size_t size() const { return end - begin; }
};
Shard shard_rows(size_t n, int rank, int size);

}  // namespace he::dist
