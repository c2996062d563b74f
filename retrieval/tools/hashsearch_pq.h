#pragma once
// hashsearch on float32 descriptors (.npy): exact float, PQ, OPQ and IVF-PQ indexes.
//   build --index flat|pq|opq|ivfpq --db X.npy [--m M] [--nbits B] [--nlist L] --out FILE
//   knn   --index FILE --queries Q.npy --k K [--nprobe P] [--shortlist S]
//         [--rerank R --db X.npy] --out PREFIX
//   eval  --index FILE | --db X.npy  --queries Q.npy --db-labels L --query-labels QL [--k K]
// Exact search (--db X.npy, or a flat index file) ranks by --metric cosine|ip|l2 (default
// l2) and can re-rank by alpha-query expansion (--rerank aqe [--qe-top N] [--qe-alpha A],
// retrieval/query_expansion.h; cosine) or by diffusion (--rerank diffusion [--graph-k G]
// [--qe-top N], retrieval/diffusion.h; cosine). Its eval ranks the whole database: mAP@all
// too (diffusion: its top k only).
// A database is taken as float descriptors when its dtype is f4/f8 and some value is not
// -1, 0 or 1 (binary codes keep the Hamming commands), or when --index names a quantised
// index file (retrieval/quant_index_file.h).
#include <CLI/CLI.hpp>
#include <optional>
#include <string>

namespace he::retrieval::tools {

struct QuantCli {
  int nbits = 8;
  int64_t nlist = 0;  // ivfpq: 0 = 4 sqrt(n), rounded to a power of two
  size_t nprobe = 1;
  size_t shortlist = 0;  // 0: k
  // A count of ADC candidates to re-rank exactly (quantised indexes), or "aqe".
  std::string rerank;
  std::string metric;   // cosine | ip | l2; "" = l2, or cosine with --rerank aqe
  size_t qe_top = 10;   // aqe: neighbours added; diffusion: the query's seed neighbours
  size_t graph_k = 50;  // diffusion: reciprocal neighbours per database row
  double qe_alpha = 3.0;
  uint64_t seed = 0;
};

// The arguments hashsearch's own subcommands already parse.
struct SharedCli {
  std::string db, queries, out, index, db_labels, query_labels;
  int m = 0, threads = 0;
  size_t k = 10;
};

// Adds --nbits, --nlist, --seed to build; --nprobe, --shortlist, --rerank, --metric, --qe-top,
// --qe-alpha to knn and eval; --index to eval.
void add_quant_options(CLI::App* knn, CLI::App* build, CLI::App* eval, QuantCli& q,
                       std::string& eval_index);

// Runs `command` ("knn", "build", "eval") when it concerns float descriptors and returns its
// exit status; std::nullopt leaves it to the Hamming code.
std::optional<int> run_quant(const std::string& command, const SharedCli& s, const QuantCli& q);

}  // namespace he::retrieval::tools
