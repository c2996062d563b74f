// Stand-ins for the CUDA Hamming searches of kernels/hamming.h when the CUDA backend is not
// compiled in: a caller that reaches them gets a clear error instead of a link failure.
#ifndef ENGINE_HAVE_CUDA
#include <stdexcept>
#include <string>

#include "kernels/hamming.h"

namespace he::kernels::cuda {
namespace {
[[noreturn]] void no_cuda(const char* op) {
  throw std::runtime_error(std::string(op) +
                           " (cuda): hashengine was built without the CUDA backend "
                           "(configure with -DENGINE_CUDA=ON on a machine with nvcc)");
}
}  // namespace
void hamming_knn(const HammingArgs&, size_t, int64_t*, int32_t*) { no_cuda("hamming_knn"); }
void hamming_radius(const HammingArgs&, int, std::vector<int64_t>&, std::vector<int64_t>&,
                    std::vector<int32_t>&) {
  no_cuda("hamming_radius");
}
void hamming_distance_matrix(const HammingArgs&, int32_t*) { no_cuda("hamming_distance_matrix"); }
void hamming_histogram(const HammingArgs&, uint32_t*) { no_cuda("hamming_histogram"); }
void hamming_rank(const HammingArgs&, uint32_t*) { no_cuda("hamming_rank"); }
}  // namespace he::kernels::cuda
#endif
