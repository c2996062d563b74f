// The index interface's shared checks, the factory (the one place that picks a backend by
// kind and device) and index files.
#include "retrieval/index.h"

#include <stdexcept>

#include "kernels/runtime.h"
#include "retrieval/cuda_flat_index.h"
#include "retrieval/hamming_search.h"
#include "retrieval/index_file.h"
#include "retrieval/mih.h"

namespace he::retrieval {

BinaryIndex::BinaryIndex(int bits) : bits_(bits) {
  if (bits < 1)
    throw std::invalid_argument("BinaryIndex: bits must be >= 1, got " + std::to_string(bits));
}

void BinaryIndex::check_queries(const PackedCodes& queries, const char* op) const {
  if (queries.bits() != bits_)
    throw std::invalid_argument(std::string(op) + ": the index holds " + std::to_string(bits_) +
                                "-bit codes, given " + std::to_string(queries.bits()) +
                                "-bit codes");
}

void BinaryIndex::check_k(size_t k, const char* op) const {
  if (k < 1 || k > size())
    throw std::invalid_argument(std::string(op) + ": k=" + std::to_string(k) +
                                " must be in [1, n=" + std::to_string(size()) + "]");
}

void BinaryIndex::save(const std::string& path) const {
  IndexContents c;
  c.kind = kind() == "mih" ? IndexKind::Mih : IndexKind::Flat;
  c.codes = codes();
  if (const auto* mih = dynamic_cast<const MihIndex*>(this)) c.mih_substrings = mih->substrings();
  save_index(path, c);
}

int parse_index_device(const std::string& device) {
  if (device == "cpu") return -1;
  int n = -1;
  if (device == "cuda") {
    n = 0;
  } else if (device.rfind("cuda:", 0) == 0 && device.size() > 5 &&
             device.find_first_not_of("0123456789", 5) == std::string::npos && device.size() < 15) {
    n = std::stoi(device.substr(5));
  } else {
    throw std::invalid_argument("device '" + device + "': expected cpu, cuda or cuda:N");
  }
  kernels::cuda::require_device(n);
  return n;
}

std::unique_ptr<BinaryIndex> make_binary_index(const std::string& kind, int bits,
                                               const IndexOptions& opt) {
  return make_binary_index(kind, PackedCodes(0, bits), opt);
}

std::unique_ptr<BinaryIndex> make_binary_index(const std::string& kind, PackedCodes codes,
                                               const IndexOptions& opt) {
  const int device = parse_index_device(opt.device);
  if (kind != "flat" && kind != "mih")
    throw std::invalid_argument("index kind '" + kind + "': expected flat or mih");
  if (device >= 0) {
    if (kind != "flat")
      throw std::invalid_argument("index kind '" + kind + "' runs on the CPU only; on " +
                                  opt.device + " use flat");
    return std::make_unique<CudaFlatIndex>(std::move(codes), device);
  }
  SearchOptions so;
  so.threads = opt.threads;
  if (kind == "mih") return std::make_unique<MihIndex>(std::move(codes), opt.mih_substrings, so);
  return std::make_unique<FlatIndex>(std::move(codes), so);
}

std::unique_ptr<BinaryIndex> read_binary_index(const std::string& path, const IndexOptions& opt) {
  const bool gpu = parse_index_device(opt.device) >= 0;  // fail before reading a large file
  IndexContents c = load_index(path);
  IndexOptions o = opt;
  if (c.kind == IndexKind::Mih && o.mih_substrings == 0) o.mih_substrings = c.mih_substrings;
  // On a GPU every index is the flat scan: a MIH file's codes serve it as well.
  const bool mih = c.kind == IndexKind::Mih && !gpu;
  return make_binary_index(mih ? "mih" : "flat", std::move(c.codes), o);
}

}  // namespace he::retrieval
