// hashsearch: Hamming k-NN / radius search, index building and evaluation on .npy files.
//   hashsearch knn    --db DB.npy | --index FILE  --queries Q.npy --k K --out PREFIX
//   hashsearch radius --db DB.npy --queries Q.npy --r R --out PREFIX
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
#include <map>
#include <optional>

#include "retrieval/cli_range.h"
#include "retrieval/hamming_search.h"
#include "retrieval/index_file.h"
#include "retrieval/metrics.h"
#include "retrieval/mih.h"
#include "retrieval/npy.h"

using namespace he::retrieval;

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// "float32 (1000, 4)": what a .npy file holds, for error messages.
std::string describe(const NpyArray& a) {
  static const std::map<std::string, std::string> names{
      {"bool", "bool"}, {"u1", "uint8"},   {"i1", "int8"},   {"i4", "int32"},
      {"i8", "int64"},  {"f4", "float32"}, {"f8", "float64"}};
  auto it = names.find(a.dtype);
  std::string shape;
  for (size_t i = 0; i < a.shape.size(); ++i) shape += (i ? ", " : "") + std::to_string(a.shape[i]);
  if (a.shape.size() == 1) shape += ",";
  return (it == names.end() ? a.dtype : it->second) + " (" + shape + ")";
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
        throw std::runtime_error(path + " holds " + describe(a) +
                                 " with values other than -1, 0 and 1 (" + std::to_string(v) +
                                 "); " + expected);
  try {
    return codes_from_npy(a, path, bits);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(path + " holds " + describe(a) + "; " + expected + " (" + e.what() +
                             ")");
  }
}

Labels load_labels(const std::string& path) {
  NpyArray a = read_npy(path);
  if (a.shape.size() == 1) return Labels::single(npy_to_i64(a, path));
  if (a.shape.size() != 2)
    throw std::runtime_error(path + " holds " + describe(a) +
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
  std::string db, queries, out, index = "flat";
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

int run_knn(const Common& o, size_t k) {
  double t0 = now();
  std::optional<MihIndex> mih;
  PackedCodes db;
  std::vector<int64_t> ext_ids;
  std::string method = o.index;
  if (o.index != "flat" && o.index != "mih") {  // an index file
    IndexContents c = load_index(o.index);
    method = c.kind == IndexKind::Mih ? "mih" : "flat";
    db = c.codes;
    ext_ids = std::move(c.ids);
    if (method == "mih") mih.emplace(db, c.mih_substrings);
  } else {
    if (o.db.empty()) throw std::runtime_error("knn: give --db or --index FILE");
    db = load_codes(o.db, o.bits);
    if (method == "mih") mih.emplace(db, o.m);
  }
  PackedCodes q = load_codes(o.queries, o.bits ? o.bits : db.bits());
  double t1 = now();
  SearchOptions opt{o.threads};
  KnnResult r = mih ? mih->knn(q, k, opt) : hamming_knn(db, q, k, opt);
  double t2 = now();
  if (!ext_ids.empty())
    for (auto& id : r.ids) id = ext_ids[id];
  const int64_t nq = static_cast<int64_t>(q.size()), kk = static_cast<int64_t>(k);
  write_npy(o.out + "_ids.npy", npy_from({nq, kk}, r.ids.data()));
  write_npy(o.out + "_dist.npy", npy_from({nq, kk}, r.dist.data()));
  std::printf("loaded %zu codes (%d bits) and %zu queries in %.3f s\n", db.size(), db.bits(),
              q.size(), t1 - t0);
  std::printf("search: %zu queries, k=%zu, index=%s, threads=%d, isa=%s: %.4f s, %.1f queries/s\n",
              q.size(), k, method.c_str(), o.threads ? o.threads : omp_get_max_threads(),
              he::kernels::cpu::hamming_isa_name(he::kernels::cpu::hamming_best_isa()), t2 - t1,
              q.size() / (t2 - t1));
  return 0;
}

int run_radius(const Common& o, int r) {
  PackedCodes db = load_codes(o.db, o.bits);
  PackedCodes q = load_codes(o.queries, db.bits());
  double t1 = now();
  RangeResult res = hamming_radius(db, q, r, {o.threads});
  double t2 = now();
  write_npy(o.out + "_lims.npy",
            npy_from({static_cast<int64_t>(res.lims.size())}, res.lims.data()));
  write_npy(o.out + "_ids.npy", npy_from({static_cast<int64_t>(res.ids.size())}, res.ids.data()));
  write_npy(o.out + "_dist.npy",
            npy_from({static_cast<int64_t>(res.dist.size())}, res.dist.data()));
  std::printf("search: %zu queries, r=%d, %zu hits: %.4f s, %.1f queries/s\n", q.size(), r,
              res.ids.size(), t2 - t1, q.size() / (t2 - t1));
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
  knn->add_option("--out", o.out, "output prefix")->required();

  auto* rad =
      app.add_subcommand("radius", "all codes within distance r -> PREFIX_{lims,ids,dist}.npy");
  add_common(rad, o, true);
  rad->add_option("--queries", o.queries, "query codes (.npy)")->required();
  rad->add_option("--r", r, "Hamming radius (inclusive)")
      ->required()
      ->check(he::cli::in_range<int64_t>(0, 32768));
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

  CLI11_PARSE(app, argc, argv);
  try {
    if (o.threads > 0) omp_set_num_threads(o.threads);
    if (*knn) return run_knn(o, k);
    if (*rad) return run_radius(o, r);
    if (*build) return run_build(o, ids, labels);
    if (*ev) return run_eval(o, dbl, ql, k, pr_json, pr_svg);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hashsearch: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
