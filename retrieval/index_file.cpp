#include "retrieval/index_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <stdexcept>

#include "retrieval/framed_file.h"

namespace he::retrieval {

namespace {

constexpr FrameFormat kFormat{{'H', 'E', 'I', 'N', 'D', 'E', 'X', 0}, 1, "index"};
constexpr uint32_t kHasIds = 1, kHasLabels = 2, kMultiHot = 4;  // header flags

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  bad_frame(kFormat, path, what);
}

}  // namespace

void save_index(const std::string& path, const IndexContents& c) {
  const size_t n = c.codes.size();
  if (!c.ids.empty() && c.ids.size() != n)
    throw std::invalid_argument("save_index: " + std::to_string(c.ids.size()) + " ids for " +
                                std::to_string(n) + " codes");
  if (!c.labels.empty() && !c.multi_labels.empty())
    throw std::invalid_argument("save_index: give single or multi-hot labels, not both");
  if (!c.labels.empty() && c.labels.size() != n)
    throw std::invalid_argument("save_index: labels size does not match the code count");
  if (!c.multi_labels.empty() && c.multi_labels.size() != n * c.label_classes)
    throw std::invalid_argument("save_index: multi-hot labels are not (n, label_classes)");
  std::vector<uint8_t> header = frame_header(kFormat);
  uint8_t* h = header.data();
  uint32_t flags = (c.ids.empty() ? 0 : kHasIds) |
                   (c.labels.empty() && c.multi_labels.empty() ? 0 : kHasLabels) |
                   (c.multi_labels.empty() ? 0 : kMultiHot);
  put_field<uint32_t>(h, 12, static_cast<uint32_t>(c.kind));
  put_field<uint32_t>(h, 16, static_cast<uint32_t>(c.codes.bits()));
  put_field<uint32_t>(h, 20, static_cast<uint32_t>(c.mih_substrings));
  put_field<uint64_t>(h, 24, n);
  put_field<uint32_t>(h, 32, flags);
  put_field<uint32_t>(h, 36, static_cast<uint32_t>(c.multi_labels.empty() ? 0 : c.label_classes));
  std::vector<const void*> parts = {c.codes.data()};
  std::vector<size_t> sizes = {n * c.codes.words_per_code() * 8};
  if (!c.ids.empty()) parts.push_back(c.ids.data()), sizes.push_back(n * 8);
  if (!c.labels.empty()) parts.push_back(c.labels.data()), sizes.push_back(n * 8);
  if (!c.multi_labels.empty())
    parts.push_back(c.multi_labels.data()), sizes.push_back(c.multi_labels.size());
  write_framed(kFormat, path, std::move(header), parts, sizes);
}

IndexContents load_index(const std::string& path, bool use_mmap, bool verify) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw std::runtime_error(path + ": cannot open index file");
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    throw std::runtime_error(path + ": cannot stat index file");
  }
  const size_t size = static_cast<size_t>(st.st_size);
  std::shared_ptr<const void> keep;
  if (size > 0 && use_mmap) {
    void* m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (m == MAP_FAILED) throw std::runtime_error(path + ": mmap failed");
    keep = std::shared_ptr<const void>(
        m, [size](const void* q) { ::munmap(const_cast<void*>(q), size); });
  } else {
    auto buf =
        std::shared_ptr<uint8_t>(static_cast<uint8_t*>(std::aligned_alloc(64, size / 64 * 64 + 64)),
                                 [](uint8_t* q) { std::free(q); });
    size_t got = 0;
    while (got < size) {
      ssize_t r = ::read(fd, buf.get() + got, size - got);
      if (r <= 0) break;
      got += static_cast<size_t>(r);
    }
    ::close(fd);
    if (got != size) throw std::runtime_error(path + ": read failed");
    keep = buf;
  }
  return parse_index(static_cast<const uint8_t*>(keep.get()), size, path, verify,
                     use_mmap ? keep : nullptr);
}

IndexContents parse_index(const uint8_t* p, size_t size, const std::string& path, bool verify,
                          std::shared_ptr<const void> keep) {
  check_frame_header(kFormat, p, size, path);
  IndexContents c;
  const uint32_t kind = get_field<uint32_t>(p, 12), bits = get_field<uint32_t>(p, 16);
  const uint32_t flags = get_field<uint32_t>(p, 32), classes = get_field<uint32_t>(p, 36);
  const uint64_t n = get_field<uint64_t>(p, 24);
  if (kind > 1) bad(path, "unknown index kind " + std::to_string(kind));
  if (bits < 1 || bits > 32768) bad(path, "bad code length " + std::to_string(bits));
  const uint64_t W = (bits + 63) / 64;
  if (n > (uint64_t{1} << 40)) bad(path, "implausible code count " + std::to_string(n));
  if (flags & ~uint32_t{kHasIds | kHasLabels | kMultiHot})
    bad(path, "unknown flags " + std::to_string(flags));
  if ((flags & kMultiHot) && !(flags & kHasLabels))
    bad(path, "multi-hot flag without the labels flag");
  if (get_field<uint32_t>(p, 20) > bits)
    bad(path, std::to_string(get_field<uint32_t>(p, 20)) + " MIH substrings for " +
                  std::to_string(bits) + "-bit codes");
  // n <= 2^40 and classes < 2^32: the multi-hot byte count is the only product that can
  // wrap, and a wrapped size could pass the size check below.
  uint64_t label_bytes = n * 8;
  if ((flags & kMultiHot) && __builtin_mul_overflow(n, uint64_t{classes}, &label_bytes))
    bad(path, std::to_string(n) + " x " + std::to_string(classes) + " multi-hot labels overflow");
  uint64_t expect = kFrameHeader + n * W * 8 + kFrameTrailer;
  if (flags & kHasIds) expect += n * 8;
  if (flags & kHasLabels) expect += label_bytes;
  if (expect < label_bytes) bad(path, "multi-hot labels overflow");
  check_frame_size(kFormat, size, expect, path);
  check_frame_trailer(kFormat, p, size, path, verify);
  c.kind = static_cast<IndexKind>(kind);
  c.mih_substrings = static_cast<int>(get_field<uint32_t>(p, 20));
  c.codes = PackedCodes::view(reinterpret_cast<const uint64_t*>(p + kFrameHeader), n, bits, keep);
  if (!keep) c.codes = c.codes.slice(0, n);  // own the codes: `p` may go away
  size_t off = kFrameHeader + n * W * 8;
  auto i64s = [&](std::vector<int64_t>& v) {
    v.resize(n);
    if (n > 0) std::memcpy(v.data(), p + off, n * 8);  // an empty vector's data() may be null
    off += n * 8;
  };
  if (flags & kHasIds) i64s(c.ids);
  if ((flags & kHasLabels) && !(flags & kMultiHot)) i64s(c.labels);
  if ((flags & kHasLabels) && (flags & kMultiHot)) {
    c.label_classes = classes;
    c.multi_labels.assign(p + off, p + off + label_bytes);
  }
  return c;
}

}  // namespace he::retrieval
