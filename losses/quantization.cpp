#include "losses/quantization.h"

#include <fmt/format.h>

#include "losses/check.h"

namespace he::losses {

using detail::require;

namespace {
// Rows scaled to unit length; a zero row stays zero (its norm is floored).
Tensor unit_rows(const Tensor& z) {
  return div(z, detail::safe_sqrt(sum(mul(z, z), {1}, true), 1e-24));
}
}  // namespace

Tensor dqn_cosine(const Tensor& z, const Tensor& S, double dissimilar) {
  const char* name = "dqn_cosine";
  detail::require_floating(z, name, "z");
  detail::require_dim(z, 2, name, "z");
  require(S.dim() == 2 && S.size(0) == z.size(0) && S.size(1) == z.size(0), name,
          fmt::format("S {} must be (B,B) for z {}", S.shape_str(), z.shape_str()));
  Tensor u = unit_rows(z);
  Tensor cos = matmul(u, u.t());
  // 0/1 -> dissimilar/1
  Tensor s = add(mul(S.detach().to(z.dtype()), 1.0 - dissimilar), dissimilar);
  Tensor d = sub(s, cos);
  return mean(mul(d, d));
}

Tensor pq_quantization_error(const Tensor& z, const Tensor& zq) {
  const char* name = "pq_quantization_error";
  detail::require_floating(z, name, "z");
  detail::require_dim(z, 2, name, "z");
  detail::require_same_shape(z, zq, name, "z", "zq");
  Tensor d = sub(z, zq.detach().to(z.dtype()));
  return div(sum(mul(d, d)), static_cast<double>(z.size(0)));
}

SoftHardPq soft_hard_pq(const Tensor& x, const Tensor& codebook, double alpha) {
  const char* name = "soft_hard_pq";
  detail::require_floating(x, name, "x");
  detail::require_dim(x, 2, name, "x");
  require(codebook.dim() == 3 && codebook.dtype() == x.dtype(), name,
          fmt::format("codebook must be (M,K,D/M) of x's dtype, got {} {} for x {} {}",
                      dtype_name(codebook.dtype()), codebook.shape_str(), dtype_name(x.dtype()),
                      x.shape_str()));
  const int64_t m = codebook.size(0), dsub = codebook.size(2);
  require(m * dsub == x.size(1), name,
          fmt::format("codebook {} covers {} dims, x {} has {}", codebook.shape_str(), m * dsub,
                      x.shape_str(), x.size(1)));
  require(alpha > 0, name, fmt::format("alpha must be > 0, got {}", alpha));
  std::vector<Tensor> soft, hard, codes;
  for (int64_t j = 0; j < m; ++j) {
    Tensor xj = x.narrow(1, j * dsub, dsub);                               // (B,dsub)
    Tensor cj = codebook.select(0, j);                                     // (K,dsub)
    Tensor p = softmax(mul(detail::pairwise_sq_dist(xj, cj), -alpha), 1);  // (B,K)
    Tensor sj = matmul(p, cj);
    Tensor idx = argmax(p.detach(), 1);  // (B) i64, first on ties
    Tensor hj = index_select(cj.detach(), 0, idx);
    // Straight-through: the value of hj, the gradient of sj.
    hard.push_back(add(sj, sub(hj, sj.detach())));
    soft.push_back(sj);
    codes.push_back(idx.unsqueeze(1));
  }
  return {concat(soft, 1), concat(hard, 1), concat(codes, 1)};
}

Tensor joint_central(const Tensor& soft, const Tensor& hard, const Tensor& centers,
                     const Tensor& labels) {
  const char* name = "joint_central";
  detail::require_floating(soft, name, "soft");
  detail::require_dim(soft, 2, name, "soft");
  detail::require_same_shape(soft, hard, name, "soft", "hard");
  require(centers.dim() == 2 && centers.size(1) == soft.size(1), name,
          fmt::format("centers {} must be (C,{})", centers.shape_str(), soft.size(1)));
  require(labels.dtype() == DType::i64 && labels.dim() == 1 && labels.size(0) == soft.size(0), name,
          fmt::format("labels must be ({}) i64 class ids, got {} {}", soft.size(0),
                      dtype_name(labels.dtype()), labels.shape_str()));
  Tensor c = index_select(centers, 0, labels);  // (B,D); bad ids throw in index_select
  Tensor ds = sub(soft, c), dh = sub(hard, c);
  return div(add(sum(mul(ds, ds)), sum(mul(dh, dh))), 2.0 * static_cast<double>(soft.size(0)));
}

}  // namespace he::losses
