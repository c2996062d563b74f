// safetensors reader and atomic writer (format in engine/io/safetensors.h).
#include "engine/io/safetensors.h"

#include "engine/data/file_io.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stdexcept>

namespace he {

static_assert(std::endian::native == std::endian::little,
              "safetensors I/O assumes a little-endian host");

namespace {

constexpr uint64_t kMaxHeader = 100ull << 20;  // 100 MB, as the reference implementation

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

std::runtime_error io_error(const std::string& path, const std::string& what) {
  return std::runtime_error(
      fmt::format("safetensors '{}': {}: {}", path, what, std::strerror(errno)));
}

bool dtype_from_name(const std::string& s, DType& dt) {
  static const std::pair<const char*, DType> table[] = {{"F32", DType::f32}, {"F64", DType::f64},
                                                        {"I32", DType::i32}, {"I64", DType::i64},
                                                        {"U8", DType::u8},   {"U64", DType::u64}};
  for (const auto& [name, d] : table)
    if (s == name) return dt = d, true;
  return false;
}

// Dtypes of the format this engine has no tensor type for (rejected with their own message).
bool known_but_unsupported(const std::string& s) {
  static const std::set<std::string> names = {"BOOL", "I8",      "I16",     "U16",     "U32",
                                              "F16",  "BF16",    "F8_E4M3", "F8_E5M2", "F8_E8M0",
                                              "F4",   "F6_E2M3", "F6_E3M2"};
  return names.count(s) > 0;
}

}  // namespace

const char* safetensors_dtype_name(DType dt) {
  switch (dt) {
    case DType::f32:
      return "F32";
    case DType::f64:
      return "F64";
    case DType::i32:
      return "I32";
    case DType::i64:
      return "I64";
    case DType::u8:
      return "U8";
    case DType::u64:
      return "U64";
  }
  throw std::invalid_argument("safetensors: corrupt dtype");
}

// ---- writing ----

void save_safetensors(const std::string& path, const TensorList& tensors, const Metadata& metadata,
                      const std::string& previous) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<Tensor> data;  // contiguous CPU copies, in file order
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    if (name == "__metadata__" || name.empty())
      throw std::invalid_argument(
          fmt::format("save_safetensors '{}': invalid tensor name '{}'", path, name));
    if (header.contains(name))
      throw std::invalid_argument(
          fmt::format("save_safetensors '{}': tensor name '{}' appears twice", path, name));
    if (!t.defined())
      throw std::invalid_argument(
          fmt::format("save_safetensors '{}': tensor '{}' is undefined", path, name));
    Tensor c = t.to(Device::cpu()).contiguous();
    const uint64_t bytes = c.nbytes();
    header[name] = {{"dtype", safetensors_dtype_name(c.dtype())},
                    {"shape", c.shape()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    data.push_back(std::move(c));
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');  // the buffer starts 8-byte aligned
  const uint64_t n = json.size();

  const std::string tmp = fmt::format("{}.tmp.{}", path, ::getpid());
  auto fail = [&](const std::string& what) {
    const auto err = io_error(tmp, what);
    std::remove(tmp.c_str());
    return err;
  };
  {
    File f(std::fopen(tmp.c_str(), "wb"));
    if (!f) throw io_error(tmp, "cannot create");
    unsigned char len[8];
    for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>(n >> (8 * i));
    bool ok = std::fwrite(len, 1, 8, f.get()) == 8 &&
              std::fwrite(json.data(), 1, json.size(), f.get()) == json.size();
    for (const Tensor& t : data)
      ok = ok &&
           (t.nbytes() == 0 || std::fwrite(t.raw_data(), 1, t.nbytes(), f.get()) == t.nbytes());
    if (!ok) throw fail("write failed");
    if (std::fflush(f.get()) != 0 || ::fsync(::fileno(f.get())) != 0) throw fail("flush failed");
    if (std::fclose(f.release()) != 0) throw fail("close failed");
  }
  // The old file becomes `previous` only once the new one is complete on disk; a crash in
  // between leaves `previous` and the temporary, and loaders fall back to `previous`.
  if (!previous.empty() && std::filesystem::exists(path) &&
      std::rename(path.c_str(), previous.c_str()) != 0)
    throw fail("cannot rename " + path + " to " + previous);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw fail("cannot rename over " + path);
  // The rename itself is durable only once the directory entry is on disk.
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::string dir = parent.empty() ? std::string(".") : parent.string();
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

void save_safetensors(const std::string& path, const std::map<std::string, Tensor>& tensors,
                      const Metadata& metadata) {
  save_safetensors(path, TensorList(tensors.begin(), tensors.end()), metadata);
}

// ---- reading ----

namespace {

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin, end;
};

Entry parse_entry(const std::string& path, const std::string& name, const nlohmann::json& j,
                  uint64_t buffer_size) {
  auto bad = [&](const std::string& what) {
    return std::runtime_error(fmt::format("safetensors '{}': tensor '{}': {}", path, name, what));
  };
  if (!j.is_object()) throw bad("entry is not a JSON object");
  for (const char* field : {"dtype", "shape", "data_offsets"})
    if (!j.contains(field)) throw bad(fmt::format("missing field '{}'", field));
  Entry e{name, DType::f32, {}, 0, 0};
  const auto& dt = j["dtype"];
  if (!dt.is_string()) throw bad("'dtype' is not a string");
  const std::string dts = dt.get<std::string>();
  if (!dtype_from_name(dts, e.dtype))
    throw bad(known_but_unsupported(dts)
                  ? fmt::format("dtype '{}' is not supported (F32 F64 I32 I64 U8 U64 are)", dts)
                  : fmt::format("unknown dtype '{}'", dts));
  const auto& shape = j["shape"];
  if (!shape.is_array()) throw bad("'shape' is not an array");
  uint64_t numel = 1;
  for (const auto& d : shape) {
    if (d.is_number_integer() && !d.is_number_unsigned())
      throw bad(fmt::format("negative dimension {} in shape {}", d.dump(), shape.dump()));
    if (!d.is_number_unsigned())
      throw bad(fmt::format("dimension {} in shape {} is not an integer", d.dump(), shape.dump()));
    const uint64_t v = d.get<uint64_t>();
    if (v > static_cast<uint64_t>(INT64_MAX) || __builtin_mul_overflow(numel, v, &numel))
      throw bad(fmt::format("shape {} overflows", shape.dump()));
    e.shape.push_back(static_cast<int64_t>(v));
  }
  uint64_t bytes = 0;
  if (__builtin_mul_overflow(numel, dtype_size(e.dtype), &bytes))
    throw bad(fmt::format("shape {} overflows", shape.dump()));
  const auto& off = j["data_offsets"];
  if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() ||
      !off[1].is_number_unsigned())
    throw bad(fmt::format("'data_offsets' {} is not two non-negative integers", off.dump()));
  e.begin = off[0].get<uint64_t>();
  e.end = off[1].get<uint64_t>();
  if (e.begin > e.end) throw bad(fmt::format("data_offsets [{}, {}]: begin > end", e.begin, e.end));
  if (e.end > buffer_size)
    throw bad(fmt::format("data_offsets [{}, {}] outside the {}-byte data buffer", e.begin, e.end,
                          buffer_size));
  if (e.end - e.begin != bytes)
    throw bad(fmt::format("data_offsets [{}, {}] hold {} bytes but {} {} needs {}", e.begin, e.end,
                          e.end - e.begin, dts, shape.dump(), bytes));
  return e;
}

}  // namespace

SafetensorsFile load_safetensors(const std::string& path) {
  std::optional<data::MappedFile> file;
  try {
    file.emplace(path);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(fmt::format("safetensors {}", e.what()));
  }
  return parse_safetensors(file->data(), file->size(), path);
}

SafetensorsFile parse_safetensors(const uint8_t* data, uint64_t file_size,
                                  const std::string& path) {
  auto bad = [&](const std::string& what) {
    return std::runtime_error(fmt::format("safetensors '{}': {}", path, what));
  };
  if (file_size < 8)
    throw bad(fmt::format("file is {} bytes, shorter than the 8-byte header length", file_size));
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(data[i]) << (8 * i);
  if (n > kMaxHeader)
    throw bad(fmt::format("header length {} is over the {}-byte limit", n, kMaxHeader));
  if (n > file_size - 8)
    throw bad(fmt::format("header length {} runs past the end of the {}-byte file", n, file_size));
  const std::string text(reinterpret_cast<const char*>(data) + 8, n);
  // JSON keeps the last of two equal keys; a tensor named twice is an error instead.
  std::set<std::string> names;
  std::string duplicate;
  const auto note_key = [&](int depth, nlohmann::json::parse_event_t ev, nlohmann::json& j) {
    if (ev == nlohmann::json::parse_event_t::key && depth == 1 && j.is_string() &&
        !names.insert(j.get<std::string>()).second && duplicate.empty())
      duplicate = j.get<std::string>();
    return true;
  };
  const nlohmann::json header = nlohmann::json::parse(text, note_key, false);
  if (header.is_discarded()) throw bad("header is not valid JSON");
  if (!header.is_object()) throw bad("header is not a JSON object");
  if (!duplicate.empty()) throw bad(fmt::format("'{}' appears twice in the header", duplicate));
  const uint64_t buffer_size = file_size - 8 - n;

  SafetensorsFile out;
  std::vector<Entry> entries;
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      if (!value.is_object()) throw bad("'__metadata__' is not a JSON object");
      for (const auto& [mk, mv] : value.items()) {
        if (!mv.is_string())
          throw bad(fmt::format("'__metadata__' value of '{}' is not a string", mk));
        out.metadata[mk] = mv.get<std::string>();
      }
      continue;
    }
    entries.push_back(parse_entry(path, key, value, buffer_size));
  }
  // The tensors must tile the buffer exactly: sorted by offset, no overlap, no gap.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t covered = 0;
  for (size_t k = 0; k < entries.size(); ++k) {
    const Entry& e = entries[k];
    if (e.begin < covered)
      throw bad(fmt::format("tensor '{}' [{}, {}] overlaps tensor '{}'", e.name, e.begin, e.end,
                            entries[k - 1].name));
    if (e.begin > covered)
      throw bad(fmt::format("gap of {} unused bytes before tensor '{}' at offset {}",
                            e.begin - covered, e.name, e.begin));
    covered = e.end;
  }
  if (covered != buffer_size)
    throw bad(fmt::format("{} trailing bytes after the last tensor (data buffer is {} bytes)",
                          buffer_size - covered, buffer_size));
  // Every allocation below is backed by bytes of the file (the tiling check above).
  for (const Entry& e : entries) {
    Tensor t = Tensor::empty(e.shape, e.dtype);
    const uint64_t bytes = e.end - e.begin;
    if (bytes > 0) std::memcpy(t.raw_data(), data + 8 + n + e.begin, bytes);
    out.tensors.emplace(e.name, std::move(t));
  }
  return out;
}

}  // namespace he
