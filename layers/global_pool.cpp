#include "layers/global_pool.h"

#include <cmath>
#include <stdexcept>

#include "layers/basic.h"
#include "layers/linear_conv.h"

namespace he::nn {

namespace {

void check_map(const char* layer, const Tensor& x) {
  if (x.dim() != 4 || x.size(2) < 1 || x.size(3) < 1)
    throw std::invalid_argument(std::string(layer) + ": expected a map (N,C,H,W), got " +
                                x.shape_str());
}

// Starts of `count` windows of `side` spread evenly over [0, length).
std::vector<int64_t> window_starts(int64_t length, int64_t side, int64_t count) {
  std::vector<int64_t> starts;
  if (count == 1) return {(length - side) / 2};
  const double step = double(length - side) / double(count - 1);
  for (int64_t i = 0; i < count; ++i) starts.push_back(static_cast<int64_t>(std::floor(i * step)));
  return starts;
}

// Regions added along the longer side so that scale-1 regions overlap by about 40%.
int64_t extra_regions(int64_t lo, int64_t hi) {
  if (lo == hi) return 0;
  constexpr double kOverlap = 0.4;
  int64_t best = 1;
  double best_gap = 1e30;
  for (int64_t steps = 2; steps <= 7; ++steps) {
    const double shift = double(hi - lo) / double(steps - 1);
    const double gap = std::abs((lo - shift) / lo - kOverlap);
    if (gap < best_gap) best_gap = gap, best = steps - 1;
  }
  return best;
}

}  // namespace

Tensor MacPool::forward(const Tensor& x) {
  check_map("MacPool", x);
  return amax(x, {2, 3});
}

Tensor SpocPool::forward(const Tensor& x) {
  check_map("SpocPool", x);
  return mean(x, {2, 3});
}

std::vector<Region> rmac_regions(int64_t h, int64_t w, int levels) {
  if (h < 1 || w < 1 || levels < 1)
    throw std::invalid_argument("rmac_regions: need h, w, levels >= 1, got " + std::to_string(h) +
                                ", " + std::to_string(w) + ", " + std::to_string(levels));
  const int64_t lo = std::min(h, w), extra = extra_regions(lo, std::max(h, w));
  std::vector<Region> regions;
  for (int64_t l = 1; l <= levels; ++l) {
    const int64_t side = std::max<int64_t>(1, 2 * lo / (l + 1));
    const int64_t ny = l + (h > w ? extra : 0), nx = l + (w > h ? extra : 0);
    for (int64_t y : window_starts(h, side, ny))
      for (int64_t x : window_starts(w, side, nx)) regions.push_back({y, x, side});
  }
  return regions;
}

Tensor RmacPool::forward(const Tensor& x) {
  check_map("RmacPool", x);
  Tensor total;
  for (const Region& r : rmac_regions(x.size(2), x.size(3), levels_)) {
    Tensor m = amax(x.narrow(2, r.y, r.side).narrow(3, r.x, r.side), {2, 3});
    Tensor v = l2_normalize(m, 1);
    total = total.defined() ? add(total, v) : v;
  }
  return total;
}

Tensor CrowPool::forward(const Tensor& x) {
  check_map("CrowPool", x);
  Tensor f = relu(x);
  // Spatial weight (N,1,H,W): (S / ||S||_2)^(1/2); the clamp keeps sqrt's gradient finite
  // at positions where every channel is zero.
  Tensor s = sum(f, {1}, true);
  Tensor s_norm = maximum(norm(s, 2, {2, 3}, true), Tensor::scalar(eps_, x.dtype()));
  Tensor spatial = sqrt(clamp(div(s, s_norm), eps_, 1e30));
  // Channel weight (N,C): log(sum_j Q_j / (eps + Q_k)), no gradient.
  Tensor omega;
  {
    NoGradGuard ng;
    Tensor q = mean(gt(f, 0.0).to(x.dtype()), {2, 3});
    omega = log(div(sum(q, {1}, true), add(q, eps_)));
  }
  return mul(sum(mul(f, spatial), {2, 3}), omega);
}

NetVladPool::NetVladPool(int64_t k, int64_t c, Generator& gen, double alpha, DType dt)
    : alpha_(alpha) {
  if (k < 1 || c < 1)
    throw std::invalid_argument("NetVladPool: clusters and channels must be >= 1, got " +
                                std::to_string(k) + ", " + std::to_string(c));
  centres = register_parameter("centres", Tensor::zeros({k, c}, dt));
  weight = register_parameter("weight", Tensor::zeros({k, c}, dt));
  bias = register_parameter("bias", Tensor::zeros({k}, dt));
  // Random unit centres until k-means centres are given (inputs are unit vectors too).
  init_from_centres(l2_normalize(Tensor::randn({k, c}, gen, dt), 1));
}

void NetVladPool::init_from_centres(const Tensor& c) {
  if (c.shape() != centres.shape())
    throw std::invalid_argument("NetVladPool::init_from_centres: expected " + centres.shape_str() +
                                ", got " + c.shape_str());
  NoGradGuard ng;
  Tensor cc = c.to(centres.dtype());
  centres.copy_(cc);
  weight.copy_(mul(cc, 2 * alpha_));
  bias.copy_(mul(sum(mul(cc, cc), {1}), -alpha_));
}

Tensor NetVladPool::forward(const Tensor& x) {
  check_map("NetVladPool", x);
  if (x.size(1) != centres.size(1))
    throw std::invalid_argument("NetVladPool: map has " + std::to_string(x.size(1)) +
                                " channels, centres " + centres.shape_str());
  const int64_t n = x.size(0), c = x.size(1);
  Tensor desc = l2_normalize(x.reshape({n, c, -1}).transpose(1, 2), 2);  // (N,HW,C)
  Tensor assign = softmax(linear(desc, weight, bias), 2);                // (N,HW,K)
  Tensor at = assign.transpose(1, 2);                                    // (N,K,HW)
  Tensor v = sub(matmul(at, desc), mul(sum(at, {2}, true), centres));    // (N,K,C)
  v = l2_normalize(v, 2);
  return l2_normalize(v.reshape({n, -1}), 1);
}

std::shared_ptr<Module> make_global_pool(const std::string& kind, int64_t channels, Generator& gen,
                                         int64_t clusters) {
  if (kind == "mac") return std::make_shared<MacPool>();
  if (kind == "spoc") return std::make_shared<SpocPool>();
  if (kind == "rmac") return std::make_shared<RmacPool>();
  if (kind == "gem") return std::make_shared<GeM>();
  if (kind == "crow") return std::make_shared<CrowPool>();
  if (kind == "netvlad") return std::make_shared<NetVladPool>(clusters, channels, gen);
  throw std::invalid_argument("unknown pooling '" + kind +
                              "' (choose mac, spoc, rmac, gem, crow or netvlad)");
}

int64_t global_pool_dim(const std::string& kind, int64_t channels, int64_t clusters) {
  return kind == "netvlad" ? channels * clusters : channels;
}

}  // namespace he::nn
