#pragma once
// Small file helpers shared by the .npy and index writers.
#include <cstdint>
#include <string>
#include <vector>

namespace he::retrieval {

// Writes bytes to `path` atomically: path.tmp.<pid>, fflush + fsync, rename. Throws
// std::runtime_error naming the file on any failure (the temporary is removed).
void write_file_atomic(const std::string& path, const std::vector<const void*>& parts,
                       const std::vector<size_t>& sizes);

}  // namespace he::retrieval
