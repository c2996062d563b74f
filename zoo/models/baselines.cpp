// The non-deep baselines every table needs, as zoo models so that they share the binaries'
// train / eval / encode / search and the run outputs. Both encode u = (x - mean) W, codes =
// sign(u), where x is the normalised pixels (flattened) by default, or with --backbone the
// penultimate features of a frozen backbone (its weights from --pretrained or from a CNN zoo
// checkpoint, --features; registered as "backbone" so the run's checkpoint holds them):
//  LSH (Charikar, 'Similarity estimation techniques from rounding algorithms', STOC 2002):
//    W Gaussian, random hyperplanes; no training (mean = 0: b = sign(W x) as in recipes.md).
//  ITQ (Gong, Lazebnik, Gordo, Perronnin, 'Iterative Quantization: A Procrustean Approach to
//    Learning Binary Codes', TPAMI 2013): PCA to `bits` dims, then 50 alternations of
//    B = sign(V R) and the orthogonal Procrustes R = argmin ||B - V R||.
#include <fmt/format.h>

#include <vector>

#include "zoo/models/models.h"

namespace he::zoo {

namespace {
class LinearHash : public HashModel {
 public:
  explicit LinearHash(const ModelConfig& c) : cfg_(c) {
    int64_t d = c.in_channels * c.image_size * c.image_size;
    if (!c.backbone.empty() && c.backbone != "pixels") {
      Generator init(c.seed);
      backbone_ =
          register_module("backbone", make_backbone(backbone_spec(c, c.backbone, 0), init,
                                                    std::make_shared<Generator>(c.seed + 1)));
      d = backbone_->feature_dim();
    }
    mean = register_buffer("mean", Tensor::zeros({d}));
    proj = register_buffer("proj", Tensor::zeros({d, c.bits}));
  }
  Tensor encode(const Tensor& x) override { return matmul(sub(features(x), mean), proj); }
  Backbone* backbone() override { return backbone_.get(); }
  Tensor loss(const TrainBatch&, int64_t) override {
    throw std::logic_error("closed-form model: fit() instead of gradient steps");
  }
  bool trains_by_gradient() const override { return false; }
  Tensor mean, proj;

 protected:
  // x:(N,C,H,W) -> (N,d): the flattened pixels, or the frozen backbone's features.
  Tensor features(const Tensor& x) {
    return backbone_ ? backbone_->frozen_features(x) : x.flatten(1);
  }
  ModelConfig cfg_;
  std::shared_ptr<Backbone> backbone_;
};

class Lsh : public LinearHash {
 public:
  using LinearHash::LinearHash;
  void fit(const Tensor&) override {
    Generator g(cfg_.seed);
    proj.copy_(Tensor::randn(proj.shape(), g));
  }
};

class Itq : public LinearHash {
 public:
  using LinearHash::LinearHash;
  void fit(const Tensor& images) override {
    NoGradGuard guard;
    const int64_t bits = cfg_.bits;
    Tensor x = features(images);
    const int64_t n = x.size(0), d = x.size(1);
    if (bits > d)
      throw std::invalid_argument(fmt::format("itq: {} bits exceed the {} input dims", bits, d));
    Tensor mu = mean_of(x);
    Tensor xc = sub(x, mu);
    // PCA: the top `bits` eigenvectors of the covariance (eigenvalues come ascending).
    const std::vector<double> v = symmetric_eigen(div(matmul(xc.t(), xc), static_cast<double>(n)))
                                      .vectors.to_vector<double>();
    std::vector<double> pca(d * bits);
    for (int64_t i = 0; i < d; ++i)
      for (int64_t j = 0; j < bits; ++j) pca[i * bits + j] = v[i * d + (d - 1 - j)];
    Tensor P = Tensor::from_vector(pca, {d, bits}).to(DType::f32);
    Tensor V = matmul(xc, P);  // (n, bits)
    // R: a random orthogonal start (left singular vectors of a Gaussian matrix), then
    // alternate B = sign(V R) and R from the SVD of V^T B.
    Generator g(cfg_.seed);
    Tensor R = svd(Tensor::randn({bits, bits}, g, DType::f64)).u.to(DType::f32);
    for (int it = 0; it < 50; ++it) {
      Tensor B = where(ge(matmul(V, R), Tensor::scalar(0)), Tensor::scalar(1), Tensor::scalar(-1));
      const Svd c = svd(matmul(V.t(), B));
      const std::vector<double> u = c.u.to_vector<double>(), vt = c.vt.to_vector<double>();
      std::vector<double> rr(bits * bits, 0);
      for (int64_t i = 0; i < bits; ++i)
        for (int64_t k = 0; k < bits; ++k)
          for (int64_t j = 0; j < bits; ++j) rr[i * bits + j] += u[i * bits + k] * vt[k * bits + j];
      R = Tensor::from_vector(rr, {bits, bits}).to(DType::f32);
    }
    mean.copy_(mu);
    proj.copy_(matmul(P, R));
  }

 private:
  static Tensor mean_of(const Tensor& x) { return he::mean(x, {0}); }
};
}  // namespace

extern const ModelEntry lsh_model{
    .name = "lsh",
    .make = make_model_of<Lsh>,
    .summary =
        "LSH (Charikar 2002): signs of Gaussian random projections of the pixels (or of backbone "
        "features: --features / --backbone)"};

extern const ModelEntry itq_model{
    .name = "itq",
    .make = make_model_of<Itq>,
    .summary =
        "ITQ (Gong 2013): PCA of the pixels (or of backbone features: --features / --backbone) + "
        "iterative quantisation (50 rotations)"};

}  // namespace he::zoo
