#pragma once
// Memory-mapped cache of decoded images. Layout (little-endian):
//   header (64 bytes): magic "HEIMGCCH", version u32, pad u32, key u64, n u64, c u64, h u64,
//                      w u64, header checksum u64 (FNV-1a of the 56 bytes before it)
//   kept: n x i64, the list index of each cached image (skipped files leave gaps)
//   pixels at the next multiple of 64: n*c*h*w u8, NCHW
// The file size must match exactly. `key` hashes the file list, file sizes and mtimes and
// the decode options, so any change makes the cache stale.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/data/image_set.h"

namespace he::data {

struct CachedImages {
  ImageSet images;            // pixels mapped read-only from the cache file, no labels
  std::vector<int64_t> kept;  // list index of each image
};

// The cache at `path` when it exists, is well formed and carries `key`; nullopt when it is
// missing, stale or corrupt (the caller rebuilds it).
std::optional<CachedImages> open_image_cache(const std::string& path, uint64_t key);

// Writes atomically: a temporary file in the same folder, fflush + fsync, then rename.
void write_image_cache(const std::string& path, uint64_t key, const ImageSet& images,
                       const std::vector<int64_t>& kept);

}  // namespace he::data
