#pragma once
// Decoding an ImageList into an ImageSet: a pool of std::threads decodes the files, results
// are kept in list order; an optional memory-mapped cache skips decoding on later loads.
#include <cstdint>
#include <string>
#include <vector>

#include "engine/data/image_decode.h"
#include "engine/data/image_list.h"
#include "engine/data/image_set.h"

namespace he::data {

struct LoadImagesOptions {
  DecodeOptions decode;           // channels and the fixed size (0 x 0: every image must
                                  // already have the size of the first one)
  int threads = 2;                // decoding threads (>= 1)
  bool skip_undecodable = false;  // false: the first bad file throws with its name
  std::string cache_path;         // empty: no cache
};

struct LoadReport {
  int64_t skipped = 0;
  std::vector<std::string> skipped_files;  // with stb's reason; empty on a cache hit
  bool cache_hit = false;
};

// Decodes every file of `list` -> ImageSet (n x channels x h x w) with the list's labels
// (rows of skipped files dropped). With a cache_path, a valid cache for the same list (paths,
// sizes, mtimes) and options is mapped instead; a stale or corrupt one is rebuilt.
ImageSet load_images(const ImageList& list, const LoadImagesOptions& opts,
                     LoadReport* report = nullptr);

inline ImageSet load_image_folder(const std::string& root, const LoadImagesOptions& opts,
                                  LoadReport* report = nullptr) {
  return load_images(list_image_folder(root), opts, report);
}
inline ImageSet load_list_file(const std::string& list_path, const std::string& root,
                               const LoadImagesOptions& opts, LoadReport* report = nullptr) {
  return load_images(read_list_file(list_path, root), opts, report);
}

// The cache key of (list, opts): FNV-1a over the options and each path, size and mtime.
uint64_t image_cache_key(const ImageList& list, const LoadImagesOptions& opts);

}  // namespace he::data
