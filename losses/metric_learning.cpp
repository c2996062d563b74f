#include "losses/metric_learning.h"

#include <fmt/format.h>

#include <limits>

#include "losses/check.h"
#include "losses/similarity.h"

namespace he::losses {

using detail::require;

Tensor multi_similarity(const Tensor& emb, const Tensor& labels, double alpha, double beta,
                        double lambda, double eps) {
  const char* name = "multi_similarity";
  detail::require_floating(emb, name, "emb");
  detail::require_dim(emb, 2, name, "emb");
  require(labels.size(0) == emb.size(0), name,
          fmt::format("emb {} and labels {} differ in batch size", emb.shape_str(),
                      labels.shape_str()));
  require(alpha > 0 && beta > 0 && eps >= 0, name,
          fmt::format("alpha, beta must be > 0 and eps >= 0, got {}, {}, {}", alpha, beta, eps));
  const DType dt = emb.dtype();
  const int64_t b = emb.size(0);
  Tensor sim = matmul(emb, emb.t());  // (B,B)
  Tensor pos_mask, neg_mask;          // the mined pairs, constants
  {
    NoGradGuard ng;
    const double inf = std::numeric_limits<double>::infinity();
    Tensor same = similarity(labels, dt);
    Tensor pos = mul(same, rsub(1.0, detail::eye(b, dt)));  // same label, j != i
    Tensor neg = rsub(1.0, same);
    Tensor s = sim.detach();
    // Hardest negative / positive per anchor: +-inf where there is none, so nothing is mined.
    Tensor max_neg = amax(masked_fill(s, eq(neg, Tensor::scalar(0, dt)), -inf), {1}, true);
    Tensor min_pos = amin(masked_fill(s, eq(pos, Tensor::scalar(0, dt)), inf), {1}, true);
    pos_mask = mul(pos, lt(s, add(max_neg, eps)).to(dt));
    neg_mask = mul(neg, gt(s, sub(min_pos, eps)).to(dt));
  }
  // Masking S before exp keeps unmined entries finite (exp of a large S could overflow and
  // 0 * inf is NaN).
  auto pair_sum = [&](const Tensor& mask, double scale) {
    return sum(mul(exp(mul(sub(mul(sim, mask), lambda), scale)), mask), {1});
  };
  Tensor pos_term = pair_sum(pos_mask, -alpha), neg_term = pair_sum(neg_mask, beta);
  Tensor per_anchor = add(div(log(add(pos_term, 1.0)), alpha), div(log(add(neg_term, 1.0)), beta));
  return mean(per_anchor);
}

}  // namespace he::losses
