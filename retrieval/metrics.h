#pragma once
// Retrieval metrics of protocol.md over Hamming rankings: ranking by ascending distance,
// ties by ascending database index; each query's ranking is a counting sort (O(n)).
//   AP@k = (1/R_k) * sum_{i<=k} P(i) * rel(i), R_k = relevant items in the top k; R_k = 0
//   scores 0. mAP@all uses k = n. P@k = R_k / k, R@k = R_k / (relevant items in the
//   database; 0 when there are none). P@r2: precision of the set within Hamming radius 2,
//   0 when that set is empty. PR curve: for r = 0..bits the mean over queries of the
//   precision (0 for an empty set) and recall of the set within radius r.
// Relevance: same label (single-label) or at least one shared label (multi-hot).
#include <cstdint>
#include <string>
#include <vector>

#include "retrieval/codes.h"

namespace he::retrieval {

class Labels {
 public:
  // One class id per item.
  static Labels single(std::vector<int64_t> ids);
  // (n, classes) multi-hot, row-major; nonzero = has the label.
  static Labels multi_hot(const uint8_t* v, size_t n, size_t classes);
  size_t size() const { return n_; }
  bool is_multi() const { return multi_; }
  size_t classes() const { return classes_; }
  // Whether item i of *this and item j of other are relevant to each other.
  bool relevant(size_t i, const Labels& other, size_t j) const {
    if (!multi_) return single_[i] == other.single_[j];
    for (size_t w = 0; w < words_; ++w)
      if (bits_[i * words_ + w] & other.bits_[j * words_ + w]) return true;
    return false;
  }

 private:
  bool multi_ = false;
  size_t n_ = 0, classes_ = 0, words_ = 0;
  std::vector<int64_t> single_;
  std::vector<uint64_t> bits_;
};

struct EvalOptions {
  size_t k = 1000;  // for mAP@k, P@k, R@k (clamped to the database size)
  int threads = 0;
};

struct EvalResult {
  size_t k = 0, queries = 0, database = 0;
  int bits = 0;
  double map_k = 0, map_all = 0, p_k = 0, r_k = 0, p_r2 = 0;
  std::vector<double> pr_precision, pr_recall;  // index r = 0..bits
};

// db:(n,bits) with db_labels (n), queries:(nq,bits) with query_labels (nq). Labels must be
// of the same kind (and the same class count for multi-hot). Parallel over queries.
EvalResult evaluate_hamming(const PackedCodes& db, const Labels& db_labels,
                            const PackedCodes& queries, const Labels& query_labels,
                            const EvalOptions& opt = {});

// {"map@k":..., "map@all":..., "p@k":..., "r@k":..., "p@r2":..., "k":..., ...}
std::string eval_json(const EvalResult& r);
// {"radius":[...], "precision":[...], "recall":[...]}
std::string pr_curve_json(const EvalResult& r);
// A self-contained SVG line plot of precision against recall (one point per radius).
std::string pr_curve_svg(const EvalResult& r, const std::string& title);

}  // namespace he::retrieval
