// Similarity matrices and hash centres (see similarity.h).
#include "losses/similarity.h"

#include <fmt/format.h>

#include <bit>
#include <stdexcept>
#include <vector>

#include "losses/check.h"

namespace he::losses {

using detail::require;

Tensor similarity(const Tensor& query_labels, const Tensor& database_labels, DType dt) {
  const char* name = "similarity";
  require(is_floating(dt), name, "dt must be f32 or f64");
  const Tensor& q = query_labels;
  const Tensor& d = database_labels;
  if (q.dim() == 1 && d.dim() == 1) {
    require(q.dtype() == DType::i64 && d.dtype() == DType::i64, name,
            fmt::format("single labels must be i64, got {} and {}", dtype_name(q.dtype()),
                        dtype_name(d.dtype())));
    return eq(q.detach().unsqueeze(1), d.detach().unsqueeze(0)).to(dt);
  }
  require(q.dim() == 2 && d.dim() == 2 && q.size(1) == d.size(1), name,
          fmt::format("labels must be (B) and (N) i64, or (B,C) and (N,C) multi-hot; got {} and {}",
                      q.shape_str(), d.shape_str()));
  NoGradGuard ng;
  Tensor shared = matmul(q.to(DType::f64), d.to(DType::f64).t());  // labels in common
  return gt(shared, 0.5).to(dt);
}

Tensor similarity(const Tensor& labels, DType dt) { return similarity(labels, labels, dt); }

Tensor hadamard(int64_t n, DType dt) {
  require(n >= 1 && std::has_single_bit(static_cast<uint64_t>(n)), "hadamard",
          fmt::format("n must be a power of two, got {}", n));
  // H[i][j] = (-1)^popcount(i & j) is the Sylvester construction in closed form.
  std::vector<double> h(static_cast<size_t>(n * n));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j)
      h[i * n + j] = (std::popcount(static_cast<uint64_t>(i & j)) & 1) ? -1.0 : 1.0;
  return Tensor::from_vector(h, {n, n}).to(dt);
}

Tensor hash_centers(int64_t num_classes, int64_t bits, uint64_t seed, DType dt) {
  const char* name = "hash_centers";
  require(num_classes >= 1 && bits >= 1, name,
          fmt::format("num_classes and bits must be >= 1, got {} and {}", num_classes, bits));
  if (std::has_single_bit(static_cast<uint64_t>(bits)) && 2 * bits >= num_classes) {
    Tensor h = hadamard(bits, DType::f64);
    return concat({h, neg(h)}, 0).narrow(0, 0, num_classes).contiguous().to(dt);
  }
  Generator gen(seed);
  const int64_t min_dist = bits / 4;
  const int max_tries = 10000;
  std::vector<double> rows;
  for (int64_t c = 0; c < num_classes; ++c) {
    std::vector<double> row(bits);
    bool ok = false;
    for (int tries = 0; tries < max_tries && !ok; ++tries) {
      for (int64_t k = 0; k < bits; ++k) row[k] = gen.uniform() < 0.5 ? -1.0 : 1.0;
      ok = true;
      for (int64_t e = 0; e < c && ok; ++e) {
        int64_t dist = 0;
        for (int64_t k = 0; k < bits; ++k) dist += rows[e * bits + k] != row[k];
        ok = dist >= min_dist;
      }
    }
    if (!ok)
      throw std::runtime_error(fmt::format(
          "hash_centers: no +-1 row at Hamming distance >= {} from the {} earlier ones after {} "
          "draws ({} classes, {} bits)",
          min_dist, c, max_tries, num_classes, bits));
    rows.insert(rows.end(), row.begin(), row.end());
  }
  return Tensor::from_vector(rows, {num_classes, bits}).to(dt);
}

Tensor centers_for_labels(const Tensor& centers, const Tensor& labels) {
  const char* name = "centers_for_labels";
  detail::require_floating(centers, name, "centers");
  detail::require_dim(centers, 2, name, "centers");
  Tensor c = centers.detach();
  if (labels.dim() == 1) {
    require(labels.dtype() == DType::i64, name,
            fmt::format("single labels must be i64, got {}", dtype_name(labels.dtype())));
    return index_select(c, 0, labels);
  }
  require(labels.dim() == 2 && labels.size(1) == centers.size(0), name,
          fmt::format("multi-hot labels {} must be (B,{}) for centers {}", labels.shape_str(),
                      centers.size(0), centers.shape_str()));
  NoGradGuard ng;
  return detail::sign_pm1(matmul(labels.to(c.dtype()), c));
}

}  // namespace he::losses
