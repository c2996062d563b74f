// hashengine.BinaryIndex and hashengine.read_index: the flat and MIH Hamming indexes of
// retrieval/ and their index files, on numpy arrays of packed codes.
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>

#include <cstring>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>

#include "arrays.h"
#include "retrieval/hamming_search.h"
#include "retrieval/index_file.h"
#include "retrieval/mih.h"

namespace he::python {

namespace {
using retrieval::IndexContents;
using retrieval::IndexKind;
using retrieval::PackedCodes;

// One index file's contents, searchable. Searches run without the GIL under a shared lock;
// add() (also without the GIL) takes it exclusively, so a search never sees a half-built MIH
// table and two adds never interleave.
class BinaryIndex {
 public:
  BinaryIndex(int bits, const std::string& kind, int m) {
    if (kind != "flat" && kind != "mih")
      throw std::invalid_argument("BinaryIndex: kind must be 'flat' or 'mih', got '" + kind + "'");
    c_.kind = kind == "mih" ? IndexKind::Mih : IndexKind::Flat;
    c_.mih_substrings = m;
    c_.codes = PackedCodes(0, bits);
    bits_ = bits;
  }
  explicit BinaryIndex(IndexContents c) : c_(std::move(c)), bits_(c_.codes.bits()) {
    mih_ = build_mih(c_.codes);
  }

  int bits() const { return bits_; }
  size_t ntotal() const {
    std::shared_lock lock(mu_);
    return c_.codes.size();
  }
  std::string kind() const { return c_.kind == IndexKind::Mih ? "mih" : "flat"; }
  int substrings() const {
    std::shared_lock lock(mu_);
    return mih_ ? mih_->substrings() : c_.mih_substrings;
  }

  // codes:(n, ceil(bits/8)) u8, ids:(n) integers or none (ids are then row numbers).
  void add(const InArray& codes, std::optional<InArray> ids) {
    PackedCodes more = codes_from_array(codes, bits(), "BinaryIndex.add: codes");
    std::vector<int64_t> more_ids;
    if (ids) {
      more_ids = ints_from_array(*ids, "BinaryIndex.add: ids");
      if (ids->ndim() != 1 || more_ids.size() != more.size())
        throw std::invalid_argument("BinaryIndex.add: ids must be (n,) = (" +
                                    std::to_string(more.size()) + ",), got " + describe(*ids));
    }
    nb::gil_scoped_release release;
    std::unique_lock lock(mu_);
    const size_t n = c_.codes.size();
    if (!c_.labels.empty() || !c_.multi_labels.empty())
      throw std::invalid_argument(
          "BinaryIndex.add: the index carries labels, which add() "
          "cannot extend");
    if (n > 0 && c_.ids.empty() != more_ids.empty())
      throw std::invalid_argument(
          c_.ids.empty() ? "BinaryIndex.add: the index numbers its codes by row; ids cannot be "
                           "given now"
                         : "BinaryIndex.add: the index has ids; give ids for the new codes");
    PackedCodes all(n + more.size(), bits());
    const size_t words = all.words_per_code();
    if (n > 0) std::memcpy(all.mutable_data(), c_.codes.data(), n * words * sizeof(uint64_t));
    if (more.size() > 0)
      std::memcpy(all.mutable_data() + n * words, more.data(),
                  more.size() * words * sizeof(uint64_t));
    std::optional<retrieval::MihIndex> mih = build_mih(all);  // may throw: nothing changed yet
    c_.codes = std::move(all);
    c_.ids.insert(c_.ids.end(), more_ids.begin(), more_ids.end());
    mih_ = std::move(mih);
  }

  // queries:(nq, ceil(bits/8)) u8 -> (dist (nq,k) i32, ids (nq,k) i64), nearest first, ties
  // by ascending row.
  nb::tuple search(const InArray& queries, size_t k, int threads) const {
    PackedCodes q = codes_from_array(queries, bits(), "BinaryIndex.search: queries");
    retrieval::KnnResult r;
    {
      nb::gil_scoped_release release;
      std::shared_lock lock(mu_);
      const retrieval::SearchOptions opt{threads};
      r = mih_ ? mih_->knn(q, k, opt) : retrieval::hamming_knn(c_.codes, q, k, opt);
      map_ids(r.ids);
    }
    return nb::make_tuple(to_numpy(std::move(r.dist), {r.nq, r.k}),
                          to_numpy(std::move(r.ids), {r.nq, r.k}));
  }

  // Every code within distance r (inclusive) of each query -> (lims (nq+1), dist, ids) in
  // FAISS's RangeSearchResult layout. MIH indexes answer by the exhaustive scan.
  nb::tuple range_search(const InArray& queries, int r, int threads) const {
    PackedCodes q = codes_from_array(queries, bits(), "BinaryIndex.range_search: queries");
    retrieval::RangeResult res;
    {
      nb::gil_scoped_release release;
      std::shared_lock lock(mu_);
      res = retrieval::hamming_radius(c_.codes, q, r, {threads});
      map_ids(res.ids);
    }
    const size_t hits = res.ids.size(), lims = res.lims.size();
    return nb::make_tuple(to_numpy(std::move(res.lims), {lims}),
                          to_numpy(std::move(res.dist), {hits}),
                          to_numpy(std::move(res.ids), {hits}));
  }

  void save(const std::string& path) const {
    nb::gil_scoped_release release;
    std::shared_lock lock(mu_);
    IndexContents c = c_;
    if (mih_) c.mih_substrings = mih_->substrings();  // a reload builds the same tables
    retrieval::save_index(path, c);
  }

 private:
  std::optional<retrieval::MihIndex> build_mih(const PackedCodes& codes) const {
    if (c_.kind != IndexKind::Mih || codes.size() == 0) return std::nullopt;
    return retrieval::MihIndex(codes, c_.mih_substrings);
  }
  void map_ids(std::vector<int64_t>& ids) const {
    if (!c_.ids.empty())
      for (auto& id : ids) id = c_.ids[id];
  }

  IndexContents c_;
  int bits_ = 0;                            // never changes, so read without the lock
  std::optional<retrieval::MihIndex> mih_;  // built over c_.codes for kind mih, n > 0
  mutable std::shared_mutex mu_;
};

}  // namespace

void bind_index(nb::module_& m) {
  nb::class_<BinaryIndex>(m, "BinaryIndex",
                          "Exact Hamming index over packed binary codes: 'flat' (exhaustive "
                          "XOR + popcount) or 'mih' (multi-index hashing, same results).")
      .def(nb::init<int, const std::string&, int>(), nb::arg("bits"), nb::arg("kind") = "flat",
           nb::arg("m") = 0,
           "An empty index of `bits`-bit codes. m: MIH substrings (0: bits / log2(n)).")
      .def_prop_ro("bits", &BinaryIndex::bits)
      .def_prop_ro("ntotal", &BinaryIndex::ntotal)
      .def_prop_ro("kind", &BinaryIndex::kind)
      .def_prop_ro("m", &BinaryIndex::substrings, "MIH substrings (0 for flat)")
      .def("__len__", &BinaryIndex::ntotal)
      .def("add", &BinaryIndex::add, nb::arg("codes"), nb::arg("ids") = nb::none(),
           "Appends codes, uint8 (n, ceil(bits/8)) in numpy.packbits layout, with optional "
           "int64 ids (n,) that searches return instead of row numbers. An MIH index "
           "rebuilds its tables (linear time): add in large batches.")
      .def("search", &BinaryIndex::search, nb::arg("queries"), nb::arg("k"), nb::arg("threads") = 0,
           "k nearest codes of each query -> (dist int32 (nq, k), ids int64 (nq, k)), "
           "nearest first, ties by ascending row. threads: 0 = all. Releases the GIL.")
      .def("range_search", &BinaryIndex::range_search, nb::arg("queries"), nb::arg("r"),
           nb::arg("threads") = 0,
           "Codes within Hamming distance r (inclusive) -> (lims, dist, ids): query i's "
           "hits are [lims[i], lims[i+1]). Releases the GIL.")
      .def("save", &BinaryIndex::save, nb::arg("path"),
           "Writes a versioned, checksummed index file (atomically).");
  m.def(
      "read_index",
      [](const std::string& path, bool mmap) {
        return new BinaryIndex(retrieval::load_index(path, mmap, true));
      },
      nb::arg("path"), nb::arg("mmap") = true, nb::rv_policy::take_ownership,
      "Loads an index file written by BinaryIndex.save or `hashsearch build`; mmap keeps the "
      "codes in the mapped file. A truncated or corrupt file raises RuntimeError.");
}

}  // namespace he::python
