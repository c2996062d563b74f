#include "engine/data/image_folder.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "engine/data/file_io.h"
#include "engine/data/image_cache.h"

namespace he::data {
namespace {

struct Slot {
  bool ok = false;
  std::optional<DecodedImage> image;  // only when the output size is not fixed
  std::string error;
};

// Decodes list.paths on `threads` threads; slot order = list order. With a fixed output size
// (`fixed` = c*h*w > 0), image i goes straight to fixed_dst + i * fixed, so the decoded set
// is never held twice.
std::vector<Slot> decode_all(const ImageList& list, const LoadImagesOptions& opts,
                             uint8_t* fixed_dst, int64_t fixed) {
  std::vector<Slot> slots(list.paths.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < slots.size();) {
      try {
        DecodedImage img = decode_image(list.paths[i], opts.decode);
        if (fixed > 0) {
          std::memcpy(fixed_dst + i * fixed, img.pixels.data(), static_cast<size_t>(fixed));
        } else {
          slots[i].image = std::move(img);
        }
        slots[i].ok = true;
      } catch (const std::exception& e) {
        slots[i].error = list.lines.empty()
                             ? e.what()
                             : fmt::format("{}:{}: {}", list.source, list.lines[i], e.what());
      }
    }
  };
  const int threads = std::max(1, std::min<int>(opts.threads, static_cast<int>(slots.size())));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(work);
  for (std::thread& t : pool) t.join();
  return slots;
}

// Labels of the kept rows of `list`.
void copy_labels(const ImageList& list, const std::vector<int64_t>& kept, ImageSet& set) {
  set.num_classes = list.num_classes;
  for (int64_t i : kept) {
    if (!list.labels.empty()) set.labels.push_back(list.labels[i]);
    if (!list.multi_hot.empty())
      set.multi_hot.insert(set.multi_hot.end(), list.multi_hot.begin() + i * list.num_classes,
                           list.multi_hot.begin() + (i + 1) * list.num_classes);
  }
}

}  // namespace

uint64_t image_cache_key(const ImageList& list, const LoadImagesOptions& opts) {
  int64_t header[5] = {opts.decode.channels, opts.decode.height, opts.decode.width,
                       opts.skip_undecodable ? 1 : 0, opts.decode.keep_aspect ? 1 : 0};
  uint64_t h = fnv1a(header, sizeof header);
  for (const std::string& p : list.paths) {
    struct stat st {};
    int64_t meta[3] = {-1, -1, -1};
    if (::stat(p.c_str(), &st) == 0)
      meta[0] = st.st_size, meta[1] = st.st_mtim.tv_sec, meta[2] = st.st_mtim.tv_nsec;
    h = fnv1a(p.data(), p.size() + 1, h);  // + the terminating NUL separates the paths
    h = fnv1a(meta, sizeof meta, h);
  }
  return h;
}

ImageSet load_images(const ImageList& list, const LoadImagesOptions& opts, LoadReport* report) {
  LoadReport local;
  LoadReport& rep = report ? *report : local;
  rep = LoadReport{};
  uint64_t key = 0;
  if (!opts.cache_path.empty()) {
    key = image_cache_key(list, opts);
    if (std::optional<CachedImages> cached = open_image_cache(opts.cache_path, key)) {
      if (cached->kept.empty() || cached->kept.back() < list.size()) {
        rep.cache_hit = true;
        rep.skipped = list.size() - cached->images.n;
        copy_labels(list, cached->kept, cached->images);
        return std::move(cached->images);
      }
    }
  }
  ImageSet set;
  set.c = opts.decode.channels;
  const bool fixed = opts.decode.height > 0 && opts.decode.width > 0;
  if (fixed) {
    set.h = opts.decode.height, set.w = opts.decode.width;
    set.pixels.resize(static_cast<size_t>(list.size() * set.image_size()));
  }
  std::vector<Slot> slots = decode_all(list, opts, set.pixels.data(), fixed ? set.image_size() : 0);
  std::vector<int64_t> kept;
  for (int64_t i = 0; i < list.size(); ++i) {
    if (slots[i].ok) {
      kept.push_back(i);
    } else if (opts.skip_undecodable) {
      rep.skipped_files.push_back(slots[i].error);
    } else {
      throw std::runtime_error(slots[i].error);
    }
  }
  rep.skipped = static_cast<int64_t>(rep.skipped_files.size());
  set.n = static_cast<int64_t>(kept.size());
  if (fixed) {  // close the gaps of skipped files
    for (int64_t k = 0; k < set.n; ++k)
      if (kept[k] != k)
        std::memmove(set.pixels.data() + k * set.image_size(),
                     set.pixels.data() + kept[k] * set.image_size(),
                     static_cast<size_t>(set.image_size()));
    set.pixels.resize(static_cast<size_t>(set.n * set.image_size()));
  } else {
    if (!kept.empty()) set.h = slots[kept[0]].image->h, set.w = slots[kept[0]].image->w;
    set.pixels.resize(static_cast<size_t>(set.n * set.image_size()));
  }
  for (int64_t k = 0; !fixed && k < set.n; ++k) {
    DecodedImage& img = *slots[kept[k]].image;
    if (img.h != set.h || img.w != set.w)
      throw std::runtime_error(
          fmt::format("{}: image is {}x{}, the first image is {}x{}; set a "
                      "fixed size in DecodeOptions",
                      list.paths[kept[k]], img.h, img.w, set.h, set.w));
    std::memcpy(set.pixels.data() + k * set.image_size(), img.pixels.data(), img.pixels.size());
    img.pixels = {};
  }
  copy_labels(list, kept, set);
  if (!opts.cache_path.empty()) write_image_cache(opts.cache_path, key, set, kept);
  return set;
}

}  // namespace he::data
