// hashsearch: Hamming k-NN / radius search, index building and evaluation on .npy files.
//   hashsearch knn    --db DB.npy | --index FILE  --queries Q.npy --k K --out PREFIX
//                     [--device cpu|cuda|cuda:N]
//     under `mpirun -np N`: each rank searches (and memory-maps) its block of the database
//     rows, rank 0 merges and writes the results, identical to one process's
//   hashsearch radius --db DB.npy | --index FILE  --queries Q.npy --r R --out PREFIX
//   hashsearch build  --db DB.npy [--ids IDS.npy] [--labels L.npy] --index mih|flat --out FILE
//   hashsearch eval   --db DB.npy --db-labels DBL.npy --queries Q.npy --query-labels QL.npy
// Codes: packed uint8 (numpy.packbits layout, bits = 8 * columns unless --bits) or (n, bits)
// arrays of +-1 / 0-1 values (int8, bool, int32, int64, float32, float64).
#include <omp.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>

#include "kernels/hamming.h"
#include "retrieval/cli_range.h"
#include "retrieval/index.h"
#include "retrieval/index_file.h"
#include "retrieval/metrics.h"
#include "retrieval/mih.h"  // mih_default_substrings, for the file header
#include "retrieval/npy.h"
#include "retrieval/sharded_knn.h"
#include "retrieval/tools/hashsearch_pq.h"

using namespace he::retrieval;

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

PackedCodes load_codes(const std::string& path, int bits) {
  NpyArray a = read_npy(path);
  const std::string expected =
      "Hamming search expects packed uint8 codes (n, ceil(bits / 8)) in numpy.packbits layout, "
      "or (n, bits) of +-1 / 0-1 values";
  // Real-valued features are not codes: taking their signs here would hide the mistake.
  if (a.dtype == "f4" || a.dtype == "f8")
    for (float v : npy_to_f32(a, path))
      if (v != 0 && v != 1 && v != -1)
        throw std::runtime_error(path + " holds " + npy_describe(a) +
                                 " with values other than -1, 0 and 1 (" + std::to_string(v) +
                                 "); " + expected);
  try {
    return codes_from_npy(a, path, bits);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(path + " holds " + npy_describe(a) + "; " + expected + " (" +
                             e.what() + ")");
  }
}

Labels load_labels(const std::string& path) {
  NpyArray a = read_npy(path);
  if (a.shape.size() == 1) return Labels::single(npy_to_i64(a, path));
  if (a.shape.size() != 2)
    throw std::runtime_error(path + " holds " + npy_describe(a) +
                             "; labels must be (n) class ids or (n, classes) multi-hot");
  std::vector<int64_t> v = npy_to_i64(a, path);
  std::vector<uint8_t> hot(v.size());
  for (size_t i = 0; i < v.size(); ++i) hot[i] = v[i] != 0;
  return Labels::multi_hot(hot.data(), a.shape[0], a.shape[1]);
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  if (!f) throw std::runtime_error(path + ": write failed");
}

struct Common {
  std::string db, queries, out, index = "flat", device = "cpu";
  int bits = 0, threads = 0, m = 0;
};

void add_common(CLI::App* c, Common& o, bool need_db) {
  auto* db = c->add_option("--db", o.db, "database codes (.npy)");
  if (need_db) db->required();
  c->add_option("--bits", o.bits, "code length when packed rows carry padding bits")
      ->check(he::cli::in_range<int64_t>(0, 32768));
  c->add_option("--threads", o.threads, "OpenMP threads (default: all)")
      ->check(he::cli::in_range<int64_t>(0, 1024));
}

// The index the options name: a kind (flat, mih) over --db, or an index file (its codes
// memory-mapped). `ext_ids` gets the file's external ids, if any.
std::unique_ptr<BinaryIndex> open_index(const Common& o, std::vector<int64_t>& ext_ids) {
  IndexOptions io;
  io.device = o.device;
  io.threads = o.threads;
  io.mih_substrings = o.m;
  parse_index_device(o.device);                 // an unusable device fails here, before any loading
  if (o.index != "flat" && o.index != "mih") {  // an index file
    IndexContents c = load_index(o.index);
    ext_ids = std::move(c.ids);
    if (c.kind == IndexKind::Mih && !io.mih_substrings) io.mih_substrings = c.mih_substrings;
    const bool gpu = o.device != "cpu";  // the GPU scans; a MIH file's codes serve as well
    return make_binary_index(c.kind == IndexKind::Mih && !gpu ? "mih" : "flat", std::move(c.codes),
                             io);
  }
  if (o.db.empty()) throw std::runtime_error("give --db or --index FILE");
  return make_binary_index(o.index, load_codes(o.db, o.bits), io);
}

// This rank's block of the database rows as an index, or null when the block is empty. An
// index file's codes stay a view on its memory map (only this block's pages are searched);
// .npy codes are read whole and the block copied out.
std::unique_ptr<BinaryIndex> open_shard(const Common& o, const he::dist::World& w,
                                        std::vector<int64_t>& ext_ids, size_t& offset,
                                        size_t& n_total, int& bits) {
  IndexOptions io;
  io.device = o.device;
  io.threads = o.threads;
  io.mih_substrings = o.m;
  parse_index_device(o.device);
  std::string kind = o.index;
  PackedCodes all;
  if (o.index != "flat" && o.index != "mih") {
    IndexContents c = load_index(o.index);
    ext_ids = std::move(c.ids);
    kind = c.kind == IndexKind::Mih && o.device == "cpu" ? "mih" : "flat";
    all = std::move(c.codes);
  } else {
    if (o.db.empty()) throw std::runtime_error("give --db or --index FILE");
    all = load_codes(o.db, o.bits);
  }
  n_total = all.size();
  bits = all.bits();
  const he::dist::Shard s = he::dist::shard_rows(n_total, w.rank(), w.size());
  offset = s.begin;
  if (s.size() == 0) return nullptr;
  auto keep = std::make_shared<const PackedCodes>(std::move(all));
  PackedCodes block = PackedCodes::view(keep->row(s.begin), s.size(), keep->bits(), keep);
  return make_binary_index(kind, std::move(block), io);
}

int run_knn_sharded(const Common& o, size_t k, he::dist::World& w) {
  double t0 = now();
  std::vector<int64_t> ext_ids;
  size_t offset = 0, n_total = 0;
  int bits = 0;
  std::unique_ptr<BinaryIndex> shard = open_shard(o, w, ext_ids, offset, n_total, bits);
  PackedCodes q = load_codes(o.queries, o.bits ? o.bits : bits);
  w.barrier();
  double t1 = now();
  SearchStats st;
  KnnResult r = sharded_knn(w, shard.get(), q, k, offset, n_total, &st);
  double t2 = now();
  if (!w.is_root()) return 0;
  if (!ext_ids.empty())
    for (auto& id : r.ids) id = ext_ids[id];
  const int64_t nq = static_cast<int64_t>(q.size()), kk = static_cast<int64_t>(k);
  write_npy(o.out + "_ids.npy", npy_from({nq, kk}, r.ids.data()));
  write_npy(o.out + "_dist.npy", npy_from({nq, kk}, r.dist.data()));
  std::printf("loaded %zu codes (%d bits) and %zu queries in %.3f s\n", n_total, bits, q.size(),
              t1 - t0);
  std::printf("search: %zu queries, k=%zu, index=%s, ranks=%d: %.4f s, %.1f queries/s\n", q.size(),
              k, o.index.c_str(), w.size(), t2 - t1, q.size() / (t2 - t1));
  return 0;
}

int run_knn(const Common& o, size_t k) {
  he::dist::World& w = he::dist::World::get();
  if (w.distributed()) return run_knn_sharded(o, k, w);
  double t0 = now();
  std::vector<int64_t> ext_ids;
  std::unique_ptr<BinaryIndex> index = open_index(o, ext_ids);
  PackedCodes q = load_codes(o.queries, o.bits ? o.bits : index->bits());
  double t1 = now();
  SearchStats st;
  KnnResult r = index->search(q, k, &st);
  double t2 = now();
  if (!ext_ids.empty())
    for (auto& id : r.ids) id = ext_ids[id];
  const int64_t nq = static_cast<int64_t>(q.size()), kk = static_cast<int64_t>(k);
  write_npy(o.out + "_ids.npy", npy_from({nq, kk}, r.ids.data()));
  write_npy(o.out + "_dist.npy", npy_from({nq, kk}, r.dist.data()));
  std::printf("loaded %zu codes (%d bits) and %zu queries in %.3f s\n", index->size(),
              index->bits(), q.size(), t1 - t0);
  const std::string where =
      index->device() == "cpu"
          ? "threads=" + std::to_string(o.threads ? o.threads : omp_get_max_threads()) +
                ", isa=" + he::kernels::cpu::hamming_isa_name(he::kernels::cpu::hamming_best_isa())
          : "device=" + index->device();
  std::printf("search: %zu queries, k=%zu, index=%s, %s: %.4f s, %.1f queries/s\n", q.size(), k,
              index->kind().c_str(), where.c_str(), t2 - t1, q.size() / (t2 - t1));
  if (index->kind() == "mih")
    std::printf("mih: %zu queries by the tables, %zu by the scan\n", st.probed, st.fallback);
  return 0;
}

int run_radius(const Common& o, int r) {
  std::vector<int64_t> ext_ids;
  std::unique_ptr<BinaryIndex> index = open_index(o, ext_ids);
  PackedCodes q = load_codes(o.queries, o.bits ? o.bits : index->bits());
  double t1 = now();
  RangeResult res = index->range_search(q, r);
  double t2 = now();
  if (!ext_ids.empty())
    for (auto& id : res.ids) id = ext_ids[id];
  write_npy(o.out + "_lims.npy",
            npy_from({static_cast<int64_t>(res.lims.size())}, res.lims.data()));
  write_npy(o.out + "_ids.npy", npy_from({static_cast<int64_t>(res.ids.size())}, res.ids.data()));
  write_npy(o.out + "_dist.npy",
            npy_from({static_cast<int64_t>(res.dist.size())}, res.dist.data()));
  std::printf("search: %zu queries, r=%d, %zu hits, index=%s on %s: %.4f s, %.1f queries/s\n",
              q.size(), r, res.ids.size(), index->kind().c_str(), index->device().c_str(), t2 - t1,
              q.size() / (t2 - t1));
  return 0;
}

int run_build(const Common& o, const std::string& ids, const std::string& labels) {
  if (o.index != "flat" && o.index != "mih")
    throw std::runtime_error("build: --index must be mih or flat");
  IndexContents c;
  c.codes = load_codes(o.db, o.bits);
  c.kind = o.index == "mih" ? IndexKind::Mih : IndexKind::Flat;
  c.mih_substrings = c.kind == IndexKind::Mih
                         ? (o.m ? o.m : mih_default_substrings(c.codes.bits(), c.codes.size()))
                         : 0;
  if (!ids.empty()) c.ids = npy_to_i64(read_npy(ids), ids);
  if (!labels.empty()) {
    NpyArray a = read_npy(labels);
    std::vector<int64_t> v = npy_to_i64(a, labels);
    if (a.shape.size() == 2) {
      c.label_classes = a.shape[1];
      for (int64_t x : v) c.multi_labels.push_back(x != 0);
    } else {
      c.labels = std::move(v);
    }
  }
  const int bits = c.codes.bits();
  if (c.kind == IndexKind::Mih && (c.mih_substrings < (bits + 63) / 64 || c.mih_substrings > bits))
    throw std::runtime_error("build: --m must be in [ceil(bits/64), bits]");
  save_index(o.out, c);
  std::printf("wrote %s: %s index, %zu codes, %d bits%s\n", o.out.c_str(), o.index.c_str(),
              c.codes.size(), c.codes.bits(),
              c.kind == IndexKind::Mih ? (", m=" + std::to_string(c.mih_substrings)).c_str() : "");
  return 0;
}

int run_eval(const Common& o, const std::string& dbl, const std::string& ql, size_t k,
             const std::string& pr_json, const std::string& pr_svg) {
  PackedCodes db = load_codes(o.db, o.bits);
  PackedCodes q = load_codes(o.queries, db.bits());
  EvalResult r = evaluate_hamming(db, load_labels(dbl), q, load_labels(ql), {k, o.threads});
  std::printf("%s\n", eval_json(r).c_str());
  if (!pr_json.empty()) write_file(pr_json, pr_curve_json(r));
  if (!pr_svg.empty())
    write_file(pr_svg, pr_curve_svg(r, "Hamming PR curve, " + std::to_string(r.bits) + " bits"));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hashsearch: exact Hamming search and evaluation over binary codes in .npy files"};
  app.require_subcommand(1);
  Common o;
  const CLI::Validator kSubstrings = he::cli::in_range<int64_t>(0, 32768);  // 0: the default
  size_t k = 10;
  int r = 2;
  std::string ids, labels, dbl, ql, pr_json, pr_svg;

  auto* knn = app.add_subcommand("knn", "k nearest neighbours -> PREFIX_ids.npy, PREFIX_dist.npy");
  add_common(knn, o, false);
  knn->add_option("--queries", o.queries, "query codes (.npy)")->required();
  knn->add_option("--k", k, "neighbours per query")
      ->required()
      ->check(he::cli::in_range<int64_t>(1, 1000000));
  knn->add_option("--index", o.index, "flat | mih | an index file from 'build'");
  knn->add_option("--m", o.m, "MIH substrings (default bits / log2(n))")->check(kSubstrings);
  knn->add_option("--device", o.device, "cpu, cuda or cuda:N (the flat scan on a GPU)");
  knn->add_option("--out", o.out, "output prefix")->required();

  auto* rad =
      app.add_subcommand("radius", "all codes within distance r -> PREFIX_{lims,ids,dist}.npy");
  add_common(rad, o, false);
  rad->add_option("--queries", o.queries, "query codes (.npy)")->required();
  rad->add_option("--r", r, "Hamming radius (inclusive)")
      ->required()
      ->check(he::cli::in_range<int64_t>(0, 32768));
  rad->add_option("--index", o.index, "flat | mih | an index file from 'build'");
  rad->add_option("--m", o.m, "MIH substrings (default bits / log2(n))")->check(kSubstrings);
  rad->add_option("--device", o.device, "cpu, cuda or cuda:N (the flat scan on a GPU)");
  rad->add_option("--out", o.out, "output prefix")->required();

  auto* build = app.add_subcommand("build", "save a flat or MIH index file");
  add_common(build, o, true);
  build->add_option("--ids", ids, "external ids, int64 (n) .npy");
  build->add_option("--labels", labels, "labels: (n) ints or (n, classes) multi-hot .npy");
  build->add_option("--index", o.index, "flat | mih")->required();
  build->add_option("--m", o.m, "MIH substrings (default bits / log2(n))")->check(kSubstrings);
  build->add_option("--out", o.out, "index file")->required();

  auto* ev = app.add_subcommand("eval", "mAP@k, mAP@all, P@k, R@k, P@r2 as JSON; PR curve");
  add_common(ev, o, true);
  ev->add_option("--db-labels", dbl, "database labels (.npy)")->required();
  ev->add_option("--queries", o.queries, "query codes (.npy)")->required();
  ev->add_option("--query-labels", ql, "query labels (.npy)")->required();
  k = 1000;
  ev->add_option("--k", k, "k of mAP@k, P@k, R@k (default 1000)")
      ->check(he::cli::in_range<int64_t>(1, 100000000));
  ev->add_option("--pr-json", pr_json, "write the PR curve as JSON");
  ev->add_option("--pr-svg", pr_svg, "write the PR curve as SVG");

  // Float descriptors (exact, PQ, OPQ, IVF-PQ): retrieval/tools/hashsearch_pq.h.
  he::retrieval::tools::QuantCli qc;
  std::string eval_index;
  he::retrieval::tools::add_quant_options(knn, build, ev, qc, eval_index);
  CLI11_PARSE(app, argc, argv);
  try {
    if (o.threads > 0) omp_set_num_threads(o.threads);
    const std::string cmd = *knn ? "knn" : *build ? "build" : *ev ? "eval" : "";
    if (auto rc = he::retrieval::tools::run_quant(
            cmd, {o.db, o.queries, o.out, *ev ? eval_index : o.index, dbl, ql, o.m, o.threads, k},
            qc))
      return *rc;
    if (*knn) return run_knn(o, k);
    if (he::dist::World::get().distributed())  // every rank would write the same files
      throw std::runtime_error("only knn runs across ranks; run this command in one process");
    if (*rad) return run_radius(o, r);
    if (*build) return run_build(o, ids, labels);
    if (*ev) return run_eval(o, dbl, ql, k, pr_json, pr_svg);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hashsearch: error: %s\n", e.what());
    // Under mpirun the other ranks may wait in a collective: end the whole job.
    if (he::dist::World::get().distributed()) he::dist::World::get().abort(1);
    return 1;
  }
  return 0;
}
