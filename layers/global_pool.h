#pragma once
// Global pooling of a convolutional map into one descriptor per image, as used for
// instance retrieval: MAC, SPoC, R-MAC, CroW and NetVLAD (GeM is in layers/basic.h).
// Every layer is composed of the engine's differentiable ops, so it runs on whatever
// device those ops support and gets its gradient from them.
// x:(N,C,H,W) -> (N,C), except NetVLAD -> (N,K*C).
#include <string>
#include <vector>

#include "layers/module.h"

namespace he::nn {

// Maximum activation of convolutions: the max over H,W per channel (Razavian et al. 2016,
// Tolias et al. 2016).
class MacPool : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "MacPool"; }
};

// Sum-pooled convolutional features (Babenko, Lempitsky, 'Aggregating local deep features
// for image retrieval', ICCV 2015), taken as the mean over H,W: the descriptor is
// L2-normalised downstream, so the 1/(HW) scale does not change a ranking.
class SpocPool : public Module {
 public:
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "SpocPool"; }
};

// A square region [y, y+side) x [x, x+side) of an H x W map.
struct Region {
  int64_t y, x, side;
  bool operator==(const Region& o) const { return y == o.y && x == o.x && side == o.side; }
};

// The R-MAC region grid (Tolias, Sicre, Jegou, 'Particular object retrieval with integral
// max-pooling of CNN activations', ICLR 2016): at scale l = 1..levels, square regions of
// side floor(2 min(H,W) / (l+1)), l of them along the shorter side and l + extra along the
// longer one, placed uniformly from edge to edge; `extra` is chosen so consecutive
// regions at scale 1 overlap by as close to 40% as possible.
std::vector<Region> rmac_regions(int64_t h, int64_t w, int levels = 3);

// Regional MAC: the MAC of every region of rmac_regions, each L2-normalised, then summed.
class RmacPool : public Module {
 public:
  explicit RmacPool(int levels = 3) : levels_(levels) {}
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "RmacPool"; }

 private:
  int levels_;
};

// Cross-dimensional weighting (Kalantidis, Mellina, Osindero, 'Cross-dimensional weighting
// for aggregated deep convolutional features', ECCV workshops 2016). With S the sum of the
// map over channels, the spatial weight is (S / ||S||_2)^(1/2) (the paper's a = 2, b = 2);
// with Q_k the fraction of positions where channel k is non-zero, the channel weight is
// log(sum_j Q_j / (eps + Q_k)) (an inverse document frequency, treated as a constant:
// it is piecewise constant in x). The map is clamped at 0 first, the identity on the
// post-ReLU maps the paper pools.
class CrowPool : public Module {
 public:
  explicit CrowPool(double eps = 1e-6) : eps_(eps) {}
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "CrowPool"; }

 private:
  double eps_;
};

// NetVLAD (Arandjelovic, Gronat, Torii, Pajdla, Sivic, 'NetVLAD: CNN architecture for weakly
// supervised place recognition', CVPR 2016). Each position's descriptor x_i (C channels,
// L2-normalised first, as in the paper) is softly assigned to K learned centres by
// a_k(x_i) = softmax_k(w_k . x_i + b_k); V_k = sum_i a_k(x_i) (x_i - c_k); each V_k is
// L2-normalised (intra-normalisation), then the whole K*C vector.
// centres:(K,C), weight:(K,C), bias:(K)
class NetVladPool : public Module {
 public:
  NetVladPool(int64_t clusters, int64_t channels, Generator& gen, double alpha = 10.0,
              DType dt = DType::f32);
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "NetVladPool"; }
  // The paper's initialisation from given centres: w_k = 2 alpha c_k, b_k = -alpha ||c_k||^2,
  // so a_k is a softmax of -alpha ||x - c_k||^2 (up to a term common to every k).
  void init_from_centres(const Tensor& centres);
  int64_t clusters() const { return centres.size(0); }
  Tensor centres, weight, bias;

 private:
  double alpha_;
};

// "mac", "spoc", "rmac", "gem", "crow" or "netvlad" (channels and gen used by netvlad
// only, clusters its K); throws naming the choices otherwise.
std::shared_ptr<Module> make_global_pool(const std::string& kind, int64_t channels, Generator& gen,
                                         int64_t clusters = 8);
// Length of the pooled descriptor for a map of `channels` channels.
int64_t global_pool_dim(const std::string& kind, int64_t channels, int64_t clusters = 8);

}  // namespace he::nn
