#include "engine/data/datasets.h"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

#include "engine/data/idx.h"

namespace he::data {

std::string resolve_dataset(const std::string& name) {
  if (name != "fashion-mnist" && name != "mnist")
    throw std::runtime_error(fmt::format("resolve_dataset: unknown data set '{}'", name));
  const char* env = std::getenv("HE_DATA_DIR");
  std::string root = env && *env ? env : "/usr/share/datasets";
  std::string dir = root + "/" + name;
  if (!std::filesystem::is_directory(dir))
    throw std::runtime_error(
        fmt::format("{}: data set '{}' not found (set HE_DATA_DIR, or "
                    "install dataset-fashion-mnist)",
                    dir, name));
  return dir;
}

ImageSet load_split(const std::string& name, Split split) {
  std::string dir = resolve_dataset(name);
  const char* prefix = split == Split::kTrain ? "train" : "t10k";
  auto pick = [&](const char* kind) {
    std::string gz = fmt::format("{}/{}-{}-ubyte.gz", dir, prefix, kind);
    std::string plain = fmt::format("{}/{}-{}-ubyte", dir, prefix, kind);
    return std::filesystem::exists(gz) || !std::filesystem::exists(plain) ? gz : plain;
  };
  return load_idx(pick("images-idx3"), pick("labels-idx1"));
}

RetrievalSplit fm_protocol(bool quick) {
  RetrievalSplit s;
  s.train = load_split("fashion-mnist", Split::kTrain);
  s.query = load_split("fashion-mnist", Split::kTest);
  if (quick) {
    s.train = take_first(s.train, 6000);
    s.query = take_first(s.query, 1000);
  }
  s.database = s.train;
  return s;
}

}  // namespace he::data
