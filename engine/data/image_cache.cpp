#include "engine/data/image_cache.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "engine/data/file_io.h"

namespace he::data {
namespace {

constexpr char kMagic[8] = {'H', 'E', 'I', 'M', 'G', 'C', 'C', 'H'};
constexpr uint32_t kVersion = 1;

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t pad;
  uint64_t key, n, c, h, w;
  uint64_t checksum;
};
static_assert(sizeof(Header) == 64);

uint64_t header_checksum(const Header& hd) { return fnv1a(&hd, offsetof(Header, checksum)); }

uint64_t pixel_offset(uint64_t n) {
  uint64_t end = sizeof(Header) + 8 * n;
  return (end + 63) / 64 * 64;
}

}  // namespace

std::optional<CachedImages> open_image_cache(const std::string& path, uint64_t key) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
  auto map = std::make_shared<const MappedFile>(path);
  if (map->size() < sizeof(Header)) return std::nullopt;
  Header hd;
  std::memcpy(&hd, map->data(), sizeof hd);
  if (std::memcmp(hd.magic, kMagic, 8) != 0 || hd.version != kVersion ||
      hd.checksum != header_checksum(hd) || hd.key != key)
    return std::nullopt;
  // Each factor is bounded by the file size before multiplying, so nothing overflows.
  const uint64_t size = map->size();
  if (hd.n > size / 8 || hd.c == 0 || hd.c > 4 || hd.h > size || hd.w > size) return std::nullopt;
  const unsigned __int128 pixels = static_cast<unsigned __int128>(hd.n) * hd.c * hd.h * hd.w;
  if (pixel_offset(hd.n) + pixels != size) return std::nullopt;
  CachedImages out;
  out.kept.resize(hd.n);
  std::memcpy(out.kept.data(), map->data() + sizeof(Header), 8 * hd.n);
  for (uint64_t i = 0; i < hd.n; ++i)
    if (out.kept[i] < 0 || (i > 0 && out.kept[i] <= out.kept[i - 1])) return std::nullopt;
  ImageSet& set = out.images;
  set.n = static_cast<int64_t>(hd.n), set.c = static_cast<int64_t>(hd.c);
  set.h = static_cast<int64_t>(hd.h), set.w = static_cast<int64_t>(hd.w);
  set.pixel_offset = static_cast<int64_t>(pixel_offset(hd.n));
  set.mapping = std::move(map);
  return out;
}

void write_image_cache(const std::string& path, uint64_t key, const ImageSet& images,
                       const std::vector<int64_t>& kept) {
  Header hd{};
  std::memcpy(hd.magic, kMagic, 8);
  hd.version = kVersion;
  hd.key = key;
  hd.n = static_cast<uint64_t>(images.n);
  hd.c = static_cast<uint64_t>(images.c);
  hd.h = static_cast<uint64_t>(images.h);
  hd.w = static_cast<uint64_t>(images.w);
  hd.checksum = header_checksum(hd);
  const std::string tmp = fmt::format("{}.tmp.{}.{}", path, ::getpid(),
                                      std::hash<std::thread::id>{}(std::this_thread::get_id()));
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) throw std::runtime_error(fmt::format("{}: cannot create: {}", tmp, std::strerror(errno)));
  const uint64_t pad = pixel_offset(hd.n) - sizeof(Header) - 8 * hd.n;
  const char zeros[64] = {};
  const size_t npix = static_cast<size_t>(images.n * images.image_size());
  bool ok = std::fwrite(&hd, sizeof hd, 1, f) == 1 &&
            std::fwrite(kept.data(), 8, kept.size(), f) == kept.size() &&
            std::fwrite(zeros, 1, pad, f) == pad &&
            std::fwrite(images.data(), 1, npix, f) == npix && std::fflush(f) == 0 &&
            ::fsync(::fileno(f)) == 0;
  ok = (std::fclose(f) == 0) && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    std::remove(tmp.c_str());
    throw std::runtime_error(
        fmt::format("{}: cannot write image cache: {}", path, std::strerror(err)));
  }
}

}  // namespace he::data
