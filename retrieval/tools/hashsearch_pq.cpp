// hashsearch's commands for float32 descriptors (see hashsearch_pq.h).
#include "retrieval/tools/hashsearch_pq.h"

#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "kernels/pq.h"
#include "retrieval/cli_range.h"
#include "retrieval/diffusion.h"
#include "retrieval/float_eval.h"
#include "retrieval/float_search.h"
#include "retrieval/metrics_topk.h"
#include "retrieval/npy.h"
#include "retrieval/quant_index_file.h"
#include "retrieval/query_expansion.h"

namespace he::retrieval::tools {

namespace {

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct Floats {
  std::vector<float> v;
  int64_t n = 0, d = 0;
};

Floats to_floats(const NpyArray& a, const std::string& path) {
  if (a.shape.size() != 2 || a.shape[1] < 1)
    throw std::runtime_error(path + " holds " + npy_describe(a) +
                             "; float descriptors must be a 2-D (n, d) array");
  return {npy_to_f32(a, path), a.shape[0], a.shape[1]};
}

// Float descriptors, or nullopt for binary codes (integer / bool dtypes, or floats that are
// all -1, 0 or 1).
std::optional<Floats> float_descriptors(const std::string& path) {
  if (path.empty()) return std::nullopt;
  NpyArray a = read_npy(path);
  if (a.dtype != "f4" && a.dtype != "f8") return std::nullopt;
  Floats f = to_floats(a, path);
  for (float x : f.v)
    if (x != -1.0f && x != 0.0f && x != 1.0f) return f;
  return std::nullopt;
}

Floats load_floats(const std::string& path, int64_t d) {
  const NpyArray a = read_npy(path);
  Floats f = to_floats(a, path);
  if (d > 0 && f.d != d)
    throw std::runtime_error(path + " holds " + npy_describe(a) + ": vectors of dimension " +
                             std::to_string(f.d) + ", the index has " + std::to_string(d));
  return f;
}

int64_t bytes_per_item(const QuantIndexContents& c) {
  return c.kind == QuantKind::Flat ? 4 * c.d : (c.m * c.nbits + 7) / 8;
}

int run_build(const SharedCli& s, const QuantCli& q) {
  const double t0 = now();
  Floats x = load_floats(s.db, 0);
  const double t1 = now();
  QuantIndexContents c;
  if (s.index == "flat") {
    c.kind = QuantKind::Flat, c.d = x.d, c.n = x.n, c.vectors = std::move(x.v);
  } else {
    if (s.m < 1) throw std::runtime_error("build: --m (subquantisers) is required for " + s.index);
    if (s.index == "ivfpq") {
      int64_t nlist = q.nlist;
      if (nlist == 0) nlist = int64_t{1} << std::lround(std::log2(4 * std::sqrt(double(x.n))));
      IvfPqIndex index = IvfPqIndex::train(x.v.data(), x.n, x.d, nlist, s.m, q.seed);
      index.add(x.v.data(), x.n);
      c = contents_of(index);
    } else {
      PqIndex index = PqIndex::train(x.v.data(), x.n, x.d, s.m, q.nbits, s.index == "opq", q.seed);
      index.add(x.v.data(), x.n);
      c = contents_of(index);
    }
  }
  const double t2 = now();
  save_quant_index(s.out, c);
  std::printf(
      "wrote %s: %s index, %lld vectors of %lld dims, m=%lld nbits=%lld nlist=%lld, "
      "%lld bytes per item; load %.2f s, train + encode %.2f s\n",
      s.out.c_str(), quant_kind_name(c.kind), (long long)c.n, (long long)c.d, (long long)c.m,
      (long long)c.nbits, (long long)c.nlist, (long long)bytes_per_item(c), t1 - t0, t2 - t1);
  return 0;
}

// What --rerank asks for: a count of ADC candidates (quantised indexes), or "aqe" / "diffusion"
// (exact search, cosine).
struct Rerank {
  size_t adc = 0;
  std::string kind = "none";
  bool cosine_only() const { return kind != "none"; }
};

Rerank parse_rerank(const std::string& v) {
  if (v.empty()) return {};
  if (v == "aqe" || v == "diffusion") return {0, v};
  if (v.find_first_not_of("0123456789") == std::string::npos && v.size() <= 9)
    return {static_cast<size_t>(std::stoll(v)), "none"};
  throw std::runtime_error("--rerank " + v +
                           ": give a count of ADC candidates to re-rank exactly, aqe or diffusion");
}

// An index file made ready to search (codes packed, tables precomputed) before the timing.
struct Searcher {
  std::optional<QuantIndexContents> file;
  std::optional<PqIndex> pq;
  std::optional<IvfPqIndex> ivf;
  explicit Searcher(std::optional<QuantIndexContents> c) : file(std::move(c)) {
    if (!file || file->kind == QuantKind::Flat) return;
    if (file->kind == QuantKind::IvfPq)
      ivf.emplace(ivfpq_index_from(*file));
    else
      pq.emplace(pq_index_from(*file));
    file->codes.clear(), file->codes.shrink_to_fit();
  }

  // The k best database rows for each query by ADC, re-ranked exactly from `db` on request.
  FloatKnnResult search_quantised(const Floats* db, const Floats& qs, const SharedCli& s,
                                  const QuantCli& q, size_t rerank) const {
    PqSearchOptions opt;
    opt.k = s.k, opt.nprobe = q.nprobe, opt.shortlist = q.shortlist, opt.threads = s.threads;
    if (rerank > 0) {
      if (!db) throw std::runtime_error("--rerank needs the original vectors as --db");
      if (db->n != file->n)
        throw std::runtime_error(s.db + ": " + std::to_string(db->n) +
                                 " vectors, the index holds " + std::to_string(file->n));
      opt.originals = db->v.data(), opt.rerank = rerank;
    }
    return ivf ? ivf->search(qs.v.data(), qs.n, opt) : pq->search(qs.v.data(), qs.n, opt);
  }
};

// Exact search over the vectors of --db or of a flat index file.
struct ExactSearch {
  const float* x;
  int64_t n, d;
  FloatMetric metric;
  std::string rerank;  // none, aqe or diffusion
  // The queries as searched: alpha-QE replaces each by its expansion (unit rows).
  std::vector<float> prepare(const Floats& qs, const QuantCli& q, int threads) const {
    if (rerank != "aqe") return qs.v;
    if (q.qe_top < 1 || q.qe_top > static_cast<size_t>(n))
      throw std::runtime_error("--qe-top " + std::to_string(q.qe_top) + ": must be in [1, " +
                               std::to_string(n) + "] (the database size)");
    return expand_queries(x, n, qs.v.data(), qs.n, d, q.qe_top, q.qe_alpha, threads);
  }

  // The k best rows per query: by the metric, after alpha-QE, or by diffusion.
  FloatKnnResult search(const Floats& qs, const QuantCli& q, size_t k, int threads) const {
    if (rerank == "diffusion") {
      DiffusionOptions o;
      o.graph_k = q.graph_k, o.query_k = q.qe_top, o.threads = threads;
      return DiffusionGraph::build(x, n, d, o).search(qs.v.data(), qs.n, k);
    }
    const std::vector<float> queries = prepare(qs, q, threads);
    return float_knn(x, n, queries.data(), qs.n, d, k, metric, threads);
  }
};

// The metric of the options: ip and l2 only for exact search, cosine for aqe / diffusion.
FloatMetric chosen_metric(const QuantCli& q, const Rerank& rr) {
  const FloatMetric m = q.metric.empty()
                            ? (rr.cosine_only() ? FloatMetric::Cosine : FloatMetric::L2)
                            : parse_float_metric(q.metric);
  if (rr.cosine_only() && m != FloatMetric::Cosine)
    throw std::runtime_error("--rerank " + rr.kind +
                             " ranks by cosine similarity: use it with --metric cosine, not " +
                             q.metric);
  return m;
}

Labels load_label_file(const std::string& path) {
  const NpyArray a = read_npy(path);
  if (a.shape.size() == 1) return Labels::single(npy_to_i64(a, path));
  std::vector<int64_t> v = npy_to_i64(a, path);
  std::vector<uint8_t> hot(v.begin(), v.end());
  for (auto& h : hot) h = h != 0;
  return Labels::multi_hot(hot.data(), a.shape[0], a.shape[1]);
}

// eval on exact search: the whole database ranked per query (mAP@all as well as mAP@k);
// diffusion: its top k only.
int run_exact_eval(const ExactSearch& e, const Floats& qs, const SharedCli& s, const QuantCli& q,
                   const std::string& method) {
  if (e.rerank == "diffusion") {
    const FloatKnnResult r = e.search(qs, q, std::min<size_t>(s.k, e.n), s.threads);
    std::string js =
        topk_eval_json(evaluate_topk(r.ids.data(), r.nq, r.k, load_label_file(s.db_labels),
                                     load_label_file(s.query_labels), s.threads));
    js.insert(js.size() - 1,
              ", \"metric\": \"cosine\", \"index\": \"" + method + "\", \"rerank\": \"diffusion\"");
    std::printf("%s\n", js.c_str());
    return 0;
  }
  const std::vector<float> queries = e.prepare(qs, q, s.threads);
  EvalOptions eo;
  eo.k = s.k, eo.threads = s.threads;
  const EvalResult r =
      evaluate_float(e.x, e.n, queries.data(), qs.n, e.d, load_label_file(s.db_labels),
                     load_label_file(s.query_labels), eo, e.metric);
  std::string js = float_eval_json(r, e.d, 4 * e.d, e.metric);
  js.insert(js.size() - 1, ", \"index\": \"" + method + "\", \"rerank\": \"" + e.rerank + "\"");
  std::printf("%s\n", js.c_str());
  return 0;
}

}  // namespace

void add_quant_options(CLI::App* knn, CLI::App* build, CLI::App* eval, QuantCli& q,
                       std::string& eval_index) {
  build->add_option("--nbits", q.nbits, "pq/opq: bits per subquantiser, 8 or 4 (fast scan)");
  build->add_option("--nlist", q.nlist, "ivfpq: inverted lists (default 4 sqrt(n), power of 2)");
  build->add_option("--seed", q.seed, "pq/opq/ivfpq: training seed");
  for (CLI::App* c : {knn, eval}) {
    c->add_option("--nprobe", q.nprobe, "ivfpq: lists scanned per query");
    c->add_option("--shortlist", q.shortlist,
                  "quantised index: candidates the u8-table scans keep for the float tables "
                  "(4-bit codes; 8-bit on CPUs with AVX-512 VBMI; default k)");
    c->add_option("--rerank", q.rerank,
                  "R: re-rank R ADC candidates exactly (quantised index; needs --db); aqe: "
                  "alpha-query expansion; diffusion: diffusion on the database's reciprocal "
                  "k-NN graph (both exact float search, cosine)");
    c->add_option("--metric", q.metric,
                  "exact float search: cosine, ip or l2 (default l2; cosine with --rerank aqe)")
        ->check(CLI::IsMember({"cosine", "ip", "l2"}));
    c->add_option("--graph-k", q.graph_k,
                  "--rerank diffusion: neighbours per database row in the graph")
        ->check(he::cli::in_range<int64_t>(1, 10000))
        ->capture_default_str();
    c->add_option("--qe-top", q.qe_top,
                  "--rerank aqe: database neighbours added to each query; diffusion: the "
                  "query's neighbours it starts from")
        ->check(he::cli::in_range<int64_t>(1, 100000))
        ->capture_default_str();
    c->add_option("--qe-alpha", q.qe_alpha,
                  "--rerank aqe: neighbour weight cos^alpha (0: average query expansion)")
        ->check(he::cli::in_range<double>(0, 100))
        ->capture_default_str();
  }
  eval->add_option("--index", eval_index, "a quantised / float index file from 'build'");
  eval->get_option("--db")->required(false);
}

std::optional<int> run_quant(const std::string& command, const SharedCli& s, const QuantCli& q) {
  const bool quant_file = !s.index.empty() && is_quant_index_file(s.index);
  if (command == "build") {
    if (s.index == "pq" || s.index == "opq" || s.index == "ivfpq" ||
        (s.index == "flat" && float_descriptors(s.db)))
      return run_build(s, q);
    return std::nullopt;
  }
  if (command != "knn" && command != "eval") return std::nullopt;
  const Rerank rr = parse_rerank(q.rerank);
  std::optional<QuantIndexContents> c;
  std::optional<Floats> db;
  if (quant_file) {
    c = load_quant_index(s.index);
    if (!s.db.empty() && rr.adc > 0) db = load_floats(s.db, c->d);
  } else {
    db = float_descriptors(s.db);
    if (!db) return std::nullopt;  // binary codes: the Hamming commands
  }
  const bool exact = !c || c->kind == QuantKind::Flat;
  if (exact && rr.adc > 0)
    throw std::runtime_error("--rerank " + q.rerank +
                             " re-ranks the candidates of a quantised index; exact search "
                             "needs none (--rerank aqe / diffusion re-rank it)");
  if (!exact && (rr.cosine_only() || (!q.metric.empty() && q.metric != "l2")))
    throw std::runtime_error(s.index + " is a " + quant_kind_name(c->kind) +
                             " index, searched by L2 distance; --metric cosine / ip and "
                             "--rerank aqe / diffusion apply to exact search (--db X.npy or a "
                             "flat index)");
  const FloatMetric metric = chosen_metric(q, rr);
  const Floats qs = load_floats(s.queries, c ? c->d : db->d);
  const std::string method = c ? quant_kind_name(c->kind) : "exact";
  const int64_t item_bytes = c ? bytes_per_item(*c) : 4 * db->d;
  const Searcher searcher(std::move(c));
  const ExactSearch ex = !exact ? ExactSearch{nullptr, 0, 0, metric, "none"}
                         : searcher.file
                             ? ExactSearch{searcher.file->vectors.data(), searcher.file->n,
                                           searcher.file->d, metric, rr.kind}
                             : ExactSearch{db->v.data(), db->n, db->d, metric, rr.kind};
  if (command == "eval" && exact) return run_exact_eval(ex, qs, s, q, method);
  const std::clock_t c1 = std::clock();  // CPU time of all threads: steadier on a busy machine
  const double t1 = now();
  FloatKnnResult r;
  if (exact) {
    r = ex.search(qs, q, s.k, s.threads);
  } else {
    r = searcher.search_quantised(db ? &*db : nullptr, qs, s, q, rr.adc);
  }
  const double t2 = now();
  const std::clock_t c2 = std::clock();
  if (command == "eval") {
    TopkEvalResult e = evaluate_topk(r.ids.data(), r.nq, r.k, load_label_file(s.db_labels),
                                     load_label_file(s.query_labels), s.threads);
    std::string js = topk_eval_json(e);
    js.insert(js.size() - 1,
              ", \"index\": \"" + method + "\", \"bytes_per_item\": " + std::to_string(item_bytes));
    std::printf("%s\n", js.c_str());
    return 0;
  }
  const int64_t nq = qs.n, k = static_cast<int64_t>(s.k);
  write_npy(s.out + "_ids.npy", npy_from({nq, k}, r.ids.data()));
  write_npy(s.out + "_dist.npy", npy_from({nq, k}, r.scores.data()));
  std::printf(
      "search: %lld queries, k=%lld, index=%s, metric=%s%s, threads=%d, isa=%s: %.4f s, "
      "%.1f queries/s, cpu %.4f s\n",
      (long long)nq, (long long)k, method.c_str(), float_metric_name(metric),
      rr.kind == "none" ? "" : (", rerank=" + rr.kind).c_str(),
      s.threads ? s.threads : omp_get_max_threads(),
      kernels::cpu::pq_isa_name(kernels::cpu::pq_best_isa()), t2 - t1, nq / (t2 - t1),
      double(c2 - c1) / CLOCKS_PER_SEC);
  return 0;
}

}  // namespace he::retrieval::tools
