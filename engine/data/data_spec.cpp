#include "engine/data/data_spec.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>

#include <fmt/format.h>

#include "engine/data/cifar.h"
#include "engine/data/file_io.h"
#include "engine/data/idx.h"
#include "engine/data/image_decode.h"
#include "engine/data/image_folder.h"
#include "engine/data/loader.h"

namespace he::data {
namespace fs = std::filesystem;

namespace {
constexpr const char* kSpecForms =
    "fashion-mnist, mnist, idx:DIR, cifar10:DIR, list:DIR or folder:DIR";

// DIR/<prefix>-<kind>-ubyte.gz, or the plain file when only it exists.
std::string idx_file(const std::string& dir, const char* prefix, const char* kind) {
  const std::string gz = fmt::format("{}/{}-{}-ubyte.gz", dir, prefix, kind);
  const std::string plain = fmt::format("{}/{}-{}-ubyte", dir, prefix, kind);
  return fs::exists(gz) || !fs::exists(plain) ? gz : plain;
}

RetrievalSplit idx_split(const std::string& dir) {
  RetrievalSplit s;
  s.train = load_idx(idx_file(dir, "train", "images-idx3"), idx_file(dir, "train", "labels-idx1"));
  s.query = load_idx(idx_file(dir, "t10k", "images-idx3"), idx_file(dir, "t10k", "labels-idx1"));
  s.database = s.train;
  return s;
}

// 1 when the first (up to) 16 files are all grey, else 3: models see one channel count.
int list_channels(const ImageList& list) {
  for (int64_t i = 0; i < std::min<int64_t>(16, list.size()); ++i)
    if (image_file_channels(list.paths[i]) >= 3) return 3;
  return 1;
}

// Decodes one role of a list or folder set, with the decoded-image cache when asked.
ImageSet decode_role(const ImageList& list, const std::string& role, int channels,
                     const DataOptions& o, LoadedData& out) {
  if (list.size() == 0)
    throw std::runtime_error(fmt::format("{}: the {} split has no images", list.source, role));
  LoadImagesOptions lo;
  lo.decode.channels = channels;
  lo.decode.height = lo.decode.width = o.image_size;
  lo.decode.keep_aspect = true;
  lo.threads = std::max(1, o.threads);
  lo.skip_undecodable = o.skip_bad_images;
  if (!o.cache_dir.empty()) {
    std::error_code ec;
    fs::create_directories(o.cache_dir, ec);
    if (!ec)
      lo.cache_path = fmt::format("{}/{:016x}.images", o.cache_dir,
                                  fnv1a(fs::absolute(list.source).string() + "\n" + role));
  }
  LoadReport rep;
  ImageSet set = load_images(list, lo, &rep);
  for (const std::string& f : rep.skipped_files) out.skipped_files.push_back(f);
  if (!lo.cache_path.empty())
    out.cache_notes.push_back(fmt::format(
        "{}: {} {}", role, rep.cache_hit ? "decoded images from" : "cached in", lo.cache_path));
  if (set.n == 0)
    throw std::runtime_error(
        fmt::format("{}: no image of the {} split could be decoded", list.source, role));
  return set;
}

RetrievalSplit list_split(const std::string& dir, const DataOptions& o, LoadedData& out) {
  ImageList train = read_list_file(dir + "/train.txt", dir);
  ImageList database = read_list_file(dir + "/database.txt", dir, train.num_classes);
  ImageList test = read_list_file(dir + "/test.txt", dir, train.num_classes);
  const int channels = list_channels(train);
  RetrievalSplit s;
  s.train = decode_role(train, "train", channels, o, out);
  const bool same = database.paths == train.paths && database.multi_hot == train.multi_hot;
  s.database = same ? s.train : decode_role(database, "database", channels, o, out);
  s.query = decode_role(test, "test", channels, o, out);
  // One-hot lists (CIFAR-10, ImageNet) become class ids, so that every model can use them.
  if (is_one_hot(s.train) && is_one_hot(s.database) && is_one_hot(s.query))
    for (ImageSet* set : {&s.train, &s.database, &s.query}) one_hot_to_labels(*set);
  return s;
}

// A folder role's classes, renumbered to the training set's class names.
ImageList folder_role(const std::string& root, const ImageList& train) {
  ImageList list = list_image_folder(root);
  list.source = root;
  for (int64_t& label : list.labels) {
    const std::string& name = list.class_names[label];
    auto at = std::find(train.class_names.begin(), train.class_names.end(), name);
    if (at == train.class_names.end())
      throw std::runtime_error(
          fmt::format("{}: class folder '{}' is not a class of the training set", root, name));
    label = at - train.class_names.begin();
  }
  list.class_names = train.class_names, list.num_classes = train.num_classes;
  return list;
}

RetrievalSplit folder_split(const std::string& dir, const DataOptions& o, LoadedData& out) {
  ImageList train = list_image_folder(dir + "/train");
  train.source = dir + "/train";
  ImageList test = folder_role(dir + "/test", train);
  const int channels = list_channels(train);
  RetrievalSplit s;
  s.train = decode_role(train, "train", channels, o, out);
  s.query = decode_role(test, "test", channels, o, out);
  s.database =
      fs::is_directory(dir + "/database")
          ? decode_role(folder_role(dir + "/database", train), "database", channels, o, out)
          : s.train;
  return s;
}

int64_t default_k_of(const DataSpec& spec) {
  if (spec.kind == DataSpec::Kind::kCifar10) return 0;
  std::string name = fs::path(spec.dir).lexically_normal().filename().string();
  if (name.empty()) name = fs::path(spec.dir).lexically_normal().parent_path().filename().string();
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  if (name.find("cifar") != std::string::npos) return 0;
  if (name.find("nus") != std::string::npos || name.find("coco") != std::string::npos) return 5000;
  return 1000;
}

void check_roles(const RetrievalSplit& s, const std::string& spec) {
  const ImageSet* roles[] = {&s.train, &s.database, &s.query};
  const char* names[] = {"train", "database", "query"};
  for (int r = 0; r < 3; ++r) {
    if (roles[r]->n == 0)
      throw std::runtime_error(fmt::format("--data {}: the {} split is empty", spec, names[r]));
    if (roles[r]->c != s.train.c || roles[r]->h != s.train.h || roles[r]->w != s.train.w)
      throw std::runtime_error(fmt::format(
          "--data {}: the {} images are {}x{}x{}, the training images {}x{}x{}", spec, names[r],
          roles[r]->c, roles[r]->h, roles[r]->w, s.train.c, s.train.h, s.train.w));
  }
}
}  // namespace

std::string DataSpec::str() const {
  switch (kind) {
    case Kind::kFashionMnist:
      return "fashion-mnist";
    case Kind::kMnist:
      return "mnist";
    case Kind::kIdx:
      return "idx:" + dir;
    case Kind::kCifar10:
      return "cifar10:" + dir;
    case Kind::kList:
      return "list:" + dir;
    case Kind::kFolder:
      return "folder:" + dir;
  }
  return "";
}

DataSpec parse_data_spec(const std::string& text) {
  DataSpec s;
  if (text == "fashion-mnist") return s;
  if (text == "mnist") return s.kind = DataSpec::Kind::kMnist, s;
  const size_t colon = text.find(':');
  const std::string prefix = colon == std::string::npos ? "" : text.substr(0, colon);
  s.dir = colon == std::string::npos ? "" : text.substr(colon + 1);
  if (prefix == "idx")
    s.kind = DataSpec::Kind::kIdx;
  else if (prefix == "cifar10")
    s.kind = DataSpec::Kind::kCifar10;
  else if (prefix == "list")
    s.kind = DataSpec::Kind::kList;
  else if (prefix == "folder")
    s.kind = DataSpec::Kind::kFolder;
  else
    throw std::invalid_argument(
        fmt::format("--data {}: unknown data set; give {}", text, kSpecForms));
  if (s.dir.empty())
    throw std::invalid_argument(fmt::format("--data {}: no directory after '{}:'", text, prefix));
  if (!fs::is_directory(s.dir))
    throw std::invalid_argument(fmt::format("--data {}: {} is not a directory", text, s.dir));
  return s;
}

LoadedData load_data(const DataSpec& spec, const DataOptions& o) {
  const std::string name = spec.str();
  if (!o.protocol.empty() && spec.kind != DataSpec::Kind::kCifar10)
    throw std::invalid_argument(
        fmt::format("--protocol {}: only cifar10:DIR data has protocols", o.protocol));
  const bool decoded = spec.kind == DataSpec::Kind::kList || spec.kind == DataSpec::Kind::kFolder;
  if (o.image_size < 0)
    throw std::invalid_argument(fmt::format("image size {}: give a positive side", o.image_size));
  LoadedData out;
  out.default_k = default_k_of(spec);
  out.resized = decoded && o.image_size > 0;
  RetrievalSplit& s = out.split;
  switch (spec.kind) {
    case DataSpec::Kind::kFashionMnist:
      s = fm_protocol(false);
      break;
    case DataSpec::Kind::kMnist:
      s.train = load_split("mnist", Split::kTrain), s.query = load_split("mnist", Split::kTest);
      s.database = s.train;
      break;
    case DataSpec::Kind::kIdx:
      s = idx_split(spec.dir);
      break;
    case DataSpec::Kind::kCifar10: {
      ImageSet train = load_cifar_dir(spec.dir, CifarKind::kCifar10, Split::kTrain);
      ImageSet test = load_cifar_dir(spec.dir, CifarKind::kCifar10, Split::kTest);
      if (o.protocol.empty()) {
        s.train = std::move(train), s.query = std::move(test), s.database = s.train;
      } else {
        s = cifar10_protocol(train, test, o.protocol, o.split_seed);
      }
      break;
    }
    case DataSpec::Kind::kList:
      s = list_split(spec.dir, o, out);
      break;
    case DataSpec::Kind::kFolder:
      s = folder_split(spec.dir, o, out);
      break;
  }
  check_roles(s, name);
  if (o.quick) {
    const bool shared = s.database.n == s.train.n && s.database.data() == s.train.data();
    s.train = take_first(s.train, std::min<int64_t>(6000, s.train.n));
    s.database = shared ? s.train : take_first(s.database, std::min<int64_t>(6000, s.database.n));
    s.query = take_first(s.query, std::min<int64_t>(1000, s.query.n));
  }
  std::vector<float> mean{kFashionMnistMean}, std{kFashionMnistStd};
  if (spec.kind != DataSpec::Kind::kFashionMnist) channel_stats(s.train, mean, std);
  for (ImageSet* set : {&s.train, &s.database, &s.query}) set->mean = mean, set->std = std;
  return out;
}

void channel_stats(const ImageSet& set, std::vector<float>& mean, std::vector<float>& std) {
  mean.assign(static_cast<size_t>(set.c), 0.0f), std.assign(static_cast<size_t>(set.c), 1.0f);
  const int64_t plane = set.h * set.w;
  for (int64_t ch = 0; ch < set.c; ++ch) {
    uint64_t sum = 0, sq = 0;  // exact integer sums: no rounding over millions of pixels
    for (int64_t i = 0; i < set.n; ++i) {
      const uint8_t* p = set.image(i) + ch * plane;
      for (int64_t j = 0; j < plane; ++j) sum += p[j], sq += uint64_t{p[j]} * p[j];
    }
    const double count = static_cast<double>(set.n * plane);
    const double m = static_cast<double>(sum) / count;
    const double var = std::max(0.0, static_cast<double>(sq) / count - m * m);
    mean[ch] = static_cast<float>(m / 255.0);
    std[ch] = var > 0 ? static_cast<float>(std::sqrt(var) / 255.0) : 1.0f;
  }
}

bool is_one_hot(const ImageSet& set) {
  for (int64_t i = 0; i < set.n; ++i) {
    const uint8_t* row = set.multi_hot.data() + i * set.num_classes;
    if (std::count(row, row + set.num_classes, 1) != 1) return false;
  }
  return !set.multi_hot.empty();
}

void one_hot_to_labels(ImageSet& set) {
  if (!is_one_hot(set)) return;
  std::vector<int64_t> labels(static_cast<size_t>(set.n));
  for (int64_t i = 0; i < set.n; ++i) {
    const uint8_t* row = set.multi_hot.data() + i * set.num_classes;
    if (std::count(row, row + set.num_classes, 1) != 1) return;
    labels[i] = std::find(row, row + set.num_classes, 1) - row;
  }
  set.labels = std::move(labels);
  set.multi_hot.clear();
}

RetrievalSplit cifar10_protocol(const ImageSet& train_batches, const ImageSet& test_batch,
                                const std::string& protocol, uint64_t seed) {
  int64_t queries_per_class = 100, train_per_class = 500;
  if (protocol == "cifar10-2")
    queries_per_class = 1000, train_per_class = 5000;
  else if (protocol != "cifar10" && protocol != "cifar10-1")
    throw std::invalid_argument(fmt::format(
        "--protocol {}: CIFAR-10's protocols are cifar10, cifar10-1 and cifar10-2", protocol));
  std::vector<int64_t> labels = train_batches.labels;
  labels.insert(labels.end(), test_batch.labels.begin(), test_batch.labels.end());
  std::vector<int64_t> query, train, rest;
  for (int64_t cls = 0; cls < 10; ++cls) {
    std::vector<int64_t> rows;
    for (int64_t i = 0; i < static_cast<int64_t>(labels.size()); ++i)
      if (labels[i] == cls) rows.push_back(i);
    const int64_t n = static_cast<int64_t>(rows.size());
    if (n < queries_per_class + train_per_class)
      throw std::runtime_error(fmt::format("--protocol {}: class {} has {} images, fewer than {}",
                                           protocol, cls, n, queries_per_class + train_per_class));
    const std::vector<int64_t> order = epoch_permutation(n, seed, cls);
    for (int64_t j = 0; j < n; ++j) {
      std::vector<int64_t>& role = j < queries_per_class                     ? query
                                   : j < queries_per_class + train_per_class ? train
                                                                             : rest;
      role.push_back(rows[order[j]]);
    }
  }
  ImageSet all = train_batches;  // the 60,000 images in one set
  all.pixels.assign(train_batches.data(),
                    train_batches.data() + train_batches.n * all.image_size());
  all.pixels.insert(all.pixels.end(), test_batch.data(),
                    test_batch.data() + test_batch.n * all.image_size());
  all.mapping.reset(), all.pixel_offset = 0;
  all.n += test_batch.n, all.labels = std::move(labels);
  std::vector<int64_t> database = rest;
  if (protocol == "cifar10-1") database.insert(database.begin(), train.begin(), train.end());
  if (protocol == "cifar10-2") database = train;
  RetrievalSplit s;
  s.train = take_rows(all, train), s.query = take_rows(all, query);
  s.database = protocol == "cifar10-2" ? s.train : take_rows(all, database);
  return s;
}

}  // namespace he::data
