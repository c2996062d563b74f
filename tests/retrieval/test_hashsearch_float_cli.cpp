// hashsearch's exact float route (--db X.npy of real-valued descriptors, or a flat index
// file): knn by --metric cosine|ip|l2 against a double-precision brute force with ties by
// database index, eval against an independent computation of the protocol's metrics, and
// --rerank aqe against alpha-query expansion written out here.
// Integer-valued vectors make every inner product and L2 distance exact, so ties are real
// ties; for cosine, every row has four entries +-2 and four 0 (norm 4, so the unit rows and
// every cosine are exact, fused multiply-adds or not).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "hashsearch_runner.h"
#include "retrieval/diffusion.h"
#include "retrieval/npy.h"

namespace he::retrieval {
namespace {
namespace fs = std::filesystem;
using testing::Exit;
using testing::hashsearch;

constexpr size_t kDim = 8;

struct Vectors {
  size_t n = 0;
  std::vector<float> v;  // (n, kDim)
  const float* row(size_t i) const { return &v[i * kDim]; }
};

// n rows; norm_four: four entries +-2 at random places, the others 0; else integers in
// [-3, 3]. Every fourth row repeats an earlier one, so exact duplicates tie.
Vectors integer_vectors(size_t n, bool norm_four, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Vectors x{n, std::vector<float>(n * kDim)};
  for (size_t i = 0; i < n; ++i) {
    if (i % 4 == 3) {
      const size_t src = rng() % i;
      std::copy(x.row(src), x.row(src) + kDim, &x.v[i * kDim]);
      continue;
    }
    float* r = &x.v[i * kDim];
    for (size_t j = 0; j < kDim; ++j) r[j] = norm_four ? (j < 4 ? 2.f : 0.f) : int(rng() % 7) - 3;
    if (norm_four) {
      std::shuffle(r, r + kDim, rng);
      for (size_t j = 0; j < kDim; ++j) r[j] *= rng() % 2 ? 1.f : -1.f;
    }
  }
  return x;
}

// Gaussian rows with every fourth row a copy of an earlier one.
Vectors gaussian_vectors(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g;
  Vectors x{n, std::vector<float>(n * kDim)};
  for (size_t i = 0; i < n; ++i) {
    if (i % 4 == 3) {
      const size_t src = rng() % i;
      std::copy(x.row(src), x.row(src) + kDim, &x.v[i * kDim]);
    } else {
      for (size_t j = 0; j < kDim; ++j) x.v[i * kDim + j] = g(rng);
    }
  }
  return x;
}

// A label that is a function of the row, so duplicates share it and swapping them changes
// no metric.
std::vector<int64_t> row_labels(const Vectors& x) {
  std::vector<int64_t> l(x.n);
  for (size_t i = 0; i < x.n; ++i) l[i] = (x.row(i)[0] > 0) + 2 * (x.row(i)[1] > 0);
  return l;
}

// The score hashsearch reports for query q and row x (similarity, or squared distance).
double score(const std::string& metric, const double* q, const float* x) {
  double d = 0, nx = 0, nq = 0, l2 = 0;
  for (size_t j = 0; j < kDim; ++j) {
    d += q[j] * x[j], nx += double(x[j]) * x[j], nq += q[j] * q[j];
    l2 += (q[j] - x[j]) * (q[j] - x[j]);
  }
  if (metric == "l2") return l2;
  if (metric == "ip") return d;
  return nx > 0 && nq > 0 ? d / std::sqrt(nx * nq) : 0.0;
}

// The database ranked for q: best first, ties by ascending index.
std::vector<size_t> brute_force(const Vectors& db, const double* q, const std::string& metric,
                                std::vector<double>& scores) {
  scores.resize(db.n);
  for (size_t i = 0; i < db.n; ++i) scores[i] = score(metric, q, db.row(i));
  std::vector<size_t> order(db.n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return metric == "l2" ? scores[a] < scores[b] : scores[a] > scores[b];
  });
  return order;
}

// Alpha-query expansion (Radenovic 2018): q' = q^ + sum over the top cosine neighbours of
// max(cos, 0)^alpha x^, neighbours ties by index.
std::vector<double> expanded(const Vectors& db, const float* q, size_t top, double alpha) {
  std::vector<double> qd(q, q + kDim), out(kDim);
  std::vector<double> cos;
  const std::vector<size_t> order = brute_force(db, qd.data(), "cosine", cos);
  const double qn = std::sqrt(std::inner_product(qd.begin(), qd.end(), qd.begin(), 0.0));
  for (size_t j = 0; j < kDim; ++j) out[j] = qd[j] / qn;
  for (size_t i = 0; i < top; ++i) {
    const float* x = db.row(order[i]);
    double xn = 0;
    for (size_t j = 0; j < kDim; ++j) xn += double(x[j]) * x[j];
    const double w = std::pow(std::max(cos[order[i]], 0.0), alpha);
    for (size_t j = 0; j < kDim; ++j) out[j] += w * x[j] / std::sqrt(xn);
  }
  return out;
}

struct Figures {
  double map_k, map_all, p_k, r_k;
};

// The protocol's figures of one ranking, from their definitions (retrieval/metrics.h).
Figures figures(const std::vector<size_t>& order, size_t k, const std::vector<int64_t>& db_labels,
                int64_t label) {
  size_t hits = 0, hits_k = 0;
  double sum = 0, sum_k = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    if (db_labels[order[i]] != label) continue;
    ++hits;
    sum += double(hits) / double(i + 1);
    if (i < k) hits_k = hits, sum_k = sum;
  }
  return {hits_k ? sum_k / hits_k : 0, hits ? sum / hits : 0, double(hits_k) / k,
          hits ? double(hits_k) / hits : 0};
}

class HashsearchFloatCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = (fs::temp_directory_path() / ("he_hs_float_cli." + std::to_string(::getpid()))).string();
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  std::string save(const std::string& name, const Vectors& x) const {
    const std::string p = dir + "/" + name + ".npy";
    write_npy(p, npy_from({int64_t(x.n), int64_t(kDim)}, x.v.data()));
    return p;
  }
  std::string save_labels(const std::string& name, const std::vector<int64_t>& l) const {
    const std::string p = dir + "/" + name + ".npy";
    write_npy(p, npy_from({int64_t(l.size())}, l.data()));
    return p;
  }
  Exit run(const std::vector<std::string>& args) const {
    Exit e = hashsearch(args, dir);
    EXPECT_EQ(e.status, 0) << e.output;
    return e;
  }
  std::string dir;
};

TEST_F(HashsearchFloatCli, KnnEqualsBruteForcePerMetricWithTiesByIndex) {
  const size_t n = 700, nq = 25, k = 60;
  for (const std::string metric : {"cosine", "ip", "l2"}) {
    const bool norm_four = metric == "cosine";
    const Vectors db = integer_vectors(n, norm_four, 3), q = integer_vectors(nq, norm_four, 4);
    const std::string dbp = save("db", db), qp = save("q", q), out = dir + "/res";
    const std::string flat = dir + "/flat.heq";
    run({"build", "--index", "flat", "--db", dbp, "--out", flat});
    // From the .npy and from the flat index file: the same search.
    for (const std::string& source : {std::string("--db"), std::string("--index")}) {
      run({"knn", source, source == "--db" ? dbp : flat, "--queries", qp, "--k", std::to_string(k),
           "--metric", metric, "--threads", "2", "--out", out});
      const std::vector<int64_t> ids = npy_to_i64(read_npy(out + "_ids.npy"), out);
      const std::vector<float> dist = npy_to_f32(read_npy(out + "_dist.npy"), out);
      ASSERT_EQ(ids.size(), nq * k);
      for (size_t i = 0; i < nq; ++i) {
        const std::vector<double> qd(q.row(i), q.row(i) + kDim);
        std::vector<double> s;
        const std::vector<size_t> order = brute_force(db, qd.data(), metric, s);
        for (size_t j = 0; j < k; ++j) {
          ASSERT_EQ(ids[i * k + j], int64_t(order[j]))
              << metric << " " << source << " query " << i << " rank " << j;
          ASSERT_NEAR(dist[i * k + j], s[order[j]], 1e-5 * std::max(1.0, std::abs(s[order[j]])));
        }
      }
    }
  }
}

TEST_F(HashsearchFloatCli, EvalEqualsAnIndependentComputation) {
  const size_t n = 500, nq = 30, k = 40;
  for (const std::string metric : {"cosine", "ip", "l2"}) {
    const bool norm_four = metric == "cosine";
    const Vectors db = integer_vectors(n, norm_four, 7), q = integer_vectors(nq, norm_four, 8);
    const std::vector<int64_t> dl = row_labels(db), ql = row_labels(q);
    const Exit e = run({"eval", "--db", save("db", db), "--db-labels", save_labels("dl", dl),
                        "--queries", save("q", q), "--query-labels", save_labels("ql", ql), "--k",
                        std::to_string(k), "--metric", metric});
    const auto j = nlohmann::json::parse(e.output);
    Figures want{0, 0, 0, 0};
    for (size_t i = 0; i < nq; ++i) {
      const std::vector<double> qd(q.row(i), q.row(i) + kDim);
      std::vector<double> s;
      const Figures f = figures(brute_force(db, qd.data(), metric, s), k, dl, ql[i]);
      want.map_k += f.map_k / nq, want.map_all += f.map_all / nq;
      want.p_k += f.p_k / nq, want.r_k += f.r_k / nq;
    }
    EXPECT_EQ(j["metric"], metric);
    EXPECT_EQ(j["k"], k);
    EXPECT_EQ(j["rerank"], "none");
    EXPECT_NEAR(j["map@k"].get<double>(), want.map_k, 1e-12) << metric;
    EXPECT_NEAR(j["map@all"].get<double>(), want.map_all, 1e-12) << metric;
    EXPECT_NEAR(j["p@k"].get<double>(), want.p_k, 1e-12) << metric;
    EXPECT_NEAR(j["r@k"].get<double>(), want.r_k, 1e-12) << metric;
  }
}

TEST_F(HashsearchFloatCli, AlphaQueryExpansionSearchesTheExpandedQueries) {
  const size_t n = 400, nq = 20, k = 30, top = 4;
  const double alpha = 3;
  const Vectors db = gaussian_vectors(n, 11), q = gaussian_vectors(nq, 12);
  const std::vector<int64_t> dl = row_labels(db), ql = row_labels(q);
  const std::string dbp = save("db", db), qp = save("q", q), out = dir + "/res";
  run({"knn", "--db", dbp, "--queries", qp, "--k", std::to_string(k), "--rerank", "aqe", "--qe-top",
       std::to_string(top), "--qe-alpha", "3", "--out", out});
  const std::vector<int64_t> ids = npy_to_i64(read_npy(out + "_ids.npy"), out);
  const std::vector<float> sims = npy_to_f32(read_npy(out + "_dist.npy"), out);
  Figures want{0, 0, 0, 0};
  for (size_t i = 0; i < nq; ++i) {
    std::vector<double> s;
    const std::vector<size_t> order =
        brute_force(db, expanded(db, q.row(i), top, alpha).data(), "cosine", s);
    for (size_t j = 0; j < k; ++j) {
      ASSERT_NEAR(sims[i * k + j], s[order[j]], 1e-5) << "query " << i << " rank " << j;
      // Ids up to ties: a different id must score the same (a duplicate row).
      if (ids[i * k + j] != int64_t(order[j])) {
        ASSERT_NEAR(s[size_t(ids[i * k + j])], s[order[j]], 1e-6) << "query " << i;
      }
    }
    const Figures f = figures(order, k, dl, ql[i]);
    want.map_k += f.map_k / nq, want.map_all += f.map_all / nq;
  }
  const Exit e = run({"eval", "--db", dbp, "--db-labels", save_labels("dl", dl), "--queries", qp,
                      "--query-labels", save_labels("ql", ql), "--k", std::to_string(k), "--rerank",
                      "aqe", "--qe-top", std::to_string(top)});
  const auto j = nlohmann::json::parse(e.output);
  EXPECT_EQ(j["rerank"], "aqe");
  EXPECT_EQ(j["metric"], "cosine");
  EXPECT_NEAR(j["map@k"].get<double>(), want.map_k, 1e-9);
  EXPECT_NEAR(j["map@all"].get<double>(), want.map_all, 1e-9);
}

TEST_F(HashsearchFloatCli, DiffusionRanksAsTheLibraryDoes) {
  const size_t n = 300, nq = 12, k = 20;
  const Vectors db = gaussian_vectors(n, 21), q = gaussian_vectors(nq, 22);
  const std::string dbp = save("db", db), qp = save("q", q), out = dir + "/res";
  run({"knn", "--db", dbp, "--queries", qp, "--k", std::to_string(k), "--rerank", "diffusion",
       "--graph-k", "8", "--qe-top", "5", "--out", out});
  DiffusionOptions o;
  o.graph_k = 8, o.query_k = 5;
  const FloatKnnResult want =
      DiffusionGraph::build(db.v.data(), n, kDim, o).search(q.v.data(), nq, k);
  EXPECT_EQ(npy_to_i64(read_npy(out + "_ids.npy"), out), want.ids);
  const std::vector<int64_t> dl = row_labels(db), ql = row_labels(q);
  const Exit e = run({"eval", "--db", dbp, "--db-labels", save_labels("dl", dl), "--queries", qp,
                      "--query-labels", save_labels("ql", ql), "--k", std::to_string(k), "--rerank",
                      "diffusion", "--graph-k", "8", "--qe-top", "5"});
  const auto j = nlohmann::json::parse(e.output);
  double map_k = 0;
  for (size_t i = 0; i < nq; ++i) {
    std::vector<size_t> order(want.ids.begin() + i * k, want.ids.begin() + (i + 1) * k);
    size_t hits = 0;
    double sum = 0;
    for (size_t r = 0; r < k; ++r)
      if (dl[order[r]] == ql[i]) sum += double(++hits) / double(r + 1);
    map_k += (hits ? sum / hits : 0) / nq;
  }
  EXPECT_EQ(j["rerank"], "diffusion");
  EXPECT_NEAR(j["map@k"].get<double>(), map_k, 1e-6);  // the top-k JSON has 6 decimals
}

TEST_F(HashsearchFloatCli, OptionsThatDoNotApplyAreRefused) {
  const Vectors db = gaussian_vectors(50, 1);
  const std::string dbp = save("db", db), out = dir + "/res";
  auto refused = [&](const std::vector<std::string>& args, const std::string& message) {
    const Exit e = hashsearch(args, dir);
    EXPECT_NE(e.status, 0) << message;
    EXPECT_NE(e.output.find(message), std::string::npos)
        << "wanted: " << message << "\ngot: " << e.output;
  };
  refused({"knn", "--db", dbp, "--queries", dbp, "--k", "3", "--metric", "hamming", "--out", out},
          "--metric: hamming not in {cosine,ip,l2}");
  refused({"knn", "--db", dbp, "--queries", dbp, "--k", "3", "--rerank", "aqe", "--metric", "l2",
           "--out", out},
          "--rerank aqe ranks by cosine similarity");
  refused({"knn", "--db", dbp, "--queries", dbp, "--k", "3", "--rerank", "20", "--out", out},
          "exact search needs none");
  refused({"knn", "--db", dbp, "--queries", dbp, "--k", "3", "--rerank", "qe", "--out", out},
          "--rerank qe: give a count of ADC candidates to re-rank exactly, aqe or diffusion");
  refused({"knn", "--db", dbp, "--queries", dbp, "--k", "3", "--rerank", "aqe", "--qe-top", "51",
           "--out", out},
          "--qe-top 51: must be in [1, 50]");
  const std::string pq = dir + "/pq.heq";
  ASSERT_EQ(
      hashsearch({"build", "--index", "pq", "--m", "2", "--nbits", "4", "--db", dbp, "--out", pq},
                 dir)
          .status,
      0);
  refused({"knn", "--index", pq, "--queries", dbp, "--k", "3", "--metric", "ip", "--out", out},
          "searched by L2 distance");
}

}  // namespace
}  // namespace he::retrieval
