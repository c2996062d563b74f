// Quantised descriptors: the database is stored as product-quantisation codes (--m subspaces
// of 2^--nbits codewords: 8 bytes per item by default) and ranked by asymmetric distance to
// the queries' float descriptors (retrieval/pq_index.h; zoo/quant_report.h evaluates them).
//  dqn: DQN (Cao, Long, Wang, Zhu, Wen, 'Deep Quantization Network for Efficient Image
//    Retrieval', AAAI 2016). The small CNN's output, L2-normalised, is the descriptor z; the
//    loss is the pairwise cosine fit (losses::dqn_cosine) + lambda * the PQ loss
//    ||z - zq||^2, zq the reconstruction of z from the current codebook. As in the paper the
//    network and the codebook are learned alternately: the gradient steps hold the codebook
//    fixed, and after every epoch the codebook is re-fitted by k-means per subspace
//    (retrieval::ProductQuantizer) on the outputs the epoch stored for every training image.
//    The first epoch, with no codebook yet, trains the cosine loss alone. Ranking by squared
//    L2 distance between unit vectors is ranking by cosine, the similarity the loss fits.
//    Ours: the cosine target of a dissimilar pair is 0, not the paper's -1. With ten classes
//    at most two class directions can be opposite, so -1 for every dissimilar pair cannot be
//    met and its error dominates the fit; orthogonal classes (0) can be, in 64 dims. On
//    FM-quick (64 dims, seed 0) mAP@1000 went from 0.585 to 0.651 with 0, and to 0.713 with
//    lambda 0.1 instead of 1 (0.714 at lambda 0, 0.711 at 0.01): z has unit length, so the
//    PQ term at 1 outweighed the fit.
//  dpq: DPQ (Klein & Wolf, 'End-to-End Supervised Product Quantization for Image Search and
//    Retrieval', CVPR 2019). The codebook is a parameter; soft and hard (straight-through)
//    reconstructions of the descriptor x (losses::soft_hard_pq, alpha 1); the loss is the
//    paper's: cross-entropy of one linear classifier on the soft and on the hard
//    reconstruction + 0.03 * the joint central loss (learned class centres). Queries are their
//    soft reconstructions, the database x coded by nearest codewords (its hard
//    reconstructions), as the paper's asymmetric search. Ours: x is the network's output
//    L2-normalised and scaled by 2, and the central weight (which the paper leaves open) is
//    0.03. On FM-quick (seed 0, 5 epochs) mAP@1000 went from 0.717 (raw output, weight 0.1) to
//    0.785 with x scaled to norm 2 (norm 1: 0.744, 3: 0.782, 4: 0.749, 8: 0.738) and to 0.800
//    with weight 0.03 (0: 0.807, 0.3: 0.721, and the raw output collapses at 1: 0.106). On
//    protocol FM (10 epochs) the committed settings give 0.8984, weight 0 0.9039.
//  pq, opq: product quantisation (Jegou, Douze, Schmid, TPAMI 2011) and optimised PQ (Ge, He,
//    Ke, Sun, CVPR 2013) fitted in closed form on the normalised pixels, or with --backbone /
//    --features on a frozen backbone's penultimate features (as lsh / itq).
#include <fmt/format.h>

#include "losses/quantization.h"
#include "retrieval/opq.h"
#include "zoo/models/models.h"

namespace he::zoo {

namespace {

int64_t pq_ksub(const ModelConfig& c) { return int64_t{1} << c.pq_nbits; }

// The (m, 2^nbits, d/m) buffer of a d-dim descriptor; throws unless m divides d.
Tensor codebook_buffer(const ModelConfig& c, int64_t d, const char* model) {
  if (c.pq_m < 1 || d % c.pq_m != 0)
    throw std::invalid_argument(
        fmt::format("{}: --m {} must divide the descriptor's {} dims (--dim, or the features')",
                    model, c.pq_m, d));
  if (c.pq_nbits != 4 && c.pq_nbits != 8)
    throw std::invalid_argument(
        fmt::format("{}: --nbits must be 4 or 8, got {}", model, c.pq_nbits));
  return Tensor::zeros({c.pq_m, pq_ksub(c), d / c.pq_m});
}

// A PQ index (no codes) over a (m, ksub, dsub) codebook and an optional (d,d) rotation.
retrieval::PqIndex index_of(const Tensor& codebook, int nbits, const Tensor& rotation = Tensor()) {
  retrieval::ProductQuantizer pq;
  pq.m = codebook.size(0), pq.d = codebook.size(0) * codebook.size(2), pq.nbits = nbits;
  pq.centroids = codebook.detach().contiguous().to(DType::f32).to_vector<float>();
  std::vector<float> r;
  if (rotation.defined()) r = rotation.contiguous().to_vector<float>();
  return retrieval::PqIndex(std::move(pq), std::move(r));
}

class Dqn : public CnnHashModel {
 public:
  static constexpr double kLambda = 0.1, kDissimilar = 0.0;
  explicit Dqn(const ModelConfig& c) : CnnHashModel(c) {
    codebook_ = register_buffer("codebook", codebook_buffer(c, c.bits, "dqn"));
    fitted_ = register_buffer("codebook_fitted", Tensor::zeros({1}));
    bank_ = register_buffer("bank", Tensor::zeros({c.train_size, c.bits}));
  }
  Tensor encode(const Tensor& x) override { return nn::l2_normalize(net->forward(x), 1); }
  Tensor loss(const TrainBatch& b, int64_t) override {
    Tensor z = encode(b.images);
    assign_rows(bank_, b.indices, z);
    Tensor l = losses::dqn_cosine(z, losses::similarity(b.labels), kDissimilar);
    if (!codebook_ready()) return l;
    return add(l, mul(losses::pq_quantization_error(z, reconstruct(z)), kLambda));
  }
  // The alternating step: the codebook re-fitted on this epoch's outputs.
  void end_epoch(int64_t epoch) override {
    retrieval::PqTrainOptions o;
    o.seed = cfg.seed + static_cast<uint64_t>(epoch);
    const retrieval::ProductQuantizer pq = retrieval::ProductQuantizer::train(
        bank_.data<float>(), bank_.size(0), bank_.size(1), cfg.pq_m, cfg.pq_nbits, o);
    std::copy(pq.centroids.begin(), pq.centroids.end(), codebook_.data<float>());
    fitted_.fill_(1.0);
  }
  // Its cosine fit still gains after 5 epochs: protocol FM, 8 bytes per item, mAP@1000 0.8695
  // at 5 epochs and 0.8867 at 10 (1 thread; 0.8892 at 2 threads); HashNet-64: 0.8837 at 5.
  int64_t default_epochs() const override { return 10; }
  std::optional<retrieval::PqIndex> quantizer() const override {
    if (!codebook_ready())
      throw std::runtime_error("dqn: no codebook yet (it is fitted at the end of each epoch)");
    return index_of(codebook_, cfg.pq_nbits);
  }
  std::map<std::string, double> log_values() const override {
    return {{"codebook", codebook_ready() ? 1.0 : 0.0}};
  }

 private:
  bool codebook_ready() const { return fitted_.to_vector<float>()[0] != 0; }
  // zq:(B,D) f32, each sub-vector of z replaced by its nearest codeword (a constant).
  Tensor reconstruct(const Tensor& z) const {
    const retrieval::PqIndex index = index_of(codebook_, cfg.pq_nbits);
    Tensor zc = z.detach().contiguous().to(DType::f32);
    const int64_t n = zc.size(0);
    std::vector<uint8_t> codes(static_cast<size_t>(n * cfg.pq_m));
    index.quantizer().encode(zc.data<float>(), n, codes.data());
    std::vector<float> zq(static_cast<size_t>(zc.numel()));
    index.quantizer().decode(codes.data(), n, zq.data());
    return Tensor::from_vector(zq, {n, zc.size(1)});
  }
  Tensor codebook_, fitted_, bank_;
};

class Dpq : public CnnHashModel {
 public:
  static constexpr double kAlpha = 1.0, kCentral = 0.03, kNorm = 2.0;
  explicit Dpq(const ModelConfig& c) : CnnHashModel(c) {
    require_class_ids(c, "dpq", "its classifier and class centres");
    Generator init(c.seed + 7);
    Tensor cb = codebook_buffer(c, c.bits, "dpq");
    codebook = register_parameter("codebook", Tensor::randn(cb.shape(), init));
    classifier =
        register_module("classifier", std::make_shared<nn::Linear>(c.bits, c.num_classes, init));
    centers = register_parameter("centers", Tensor::zeros({c.num_classes, c.bits}));
  }
  // The descriptor x: the network's output on a sphere of radius kNorm.
  Tensor descriptor(const Tensor& images) {
    return mul(nn::l2_normalize(net->forward(images), 1), kNorm);
  }
  // Queries: the soft reconstruction; the database: the descriptor (encode_database).
  Tensor encode(const Tensor& x) override {
    return losses::soft_hard_pq(descriptor(x), codebook, kAlpha).soft;
  }
  Tensor encode_database(const Tensor& x) override { return descriptor(x); }
  // Protocol FM, 8 bytes per item: mAP@1000 0.8984 at 10 epochs (HashNet-64: 0.8837 at 5).
  int64_t default_epochs() const override { return 10; }
  Tensor loss(const TrainBatch& b, int64_t) override {
    const losses::SoftHardPq q = losses::soft_hard_pq(descriptor(b.images), codebook, kAlpha);
    Tensor ce = add(losses::cross_entropy(classifier->forward(q.soft), b.labels),
                    losses::cross_entropy(classifier->forward(q.hard), b.labels));
    return add(ce, mul(losses::joint_central(q.soft, q.hard, centers, b.labels), kCentral));
  }
  std::optional<retrieval::PqIndex> quantizer() const override {
    return index_of(codebook, cfg.pq_nbits);
  }
  Tensor codebook, centers;
  std::shared_ptr<nn::Linear> classifier;
};

// pq / opq: the codebook (and rotation) fitted once on features, as lsh / itq.
class PqBaseline : public HashModel {
 public:
  PqBaseline(const ModelConfig& c, bool opq) : cfg_(c), opq_(opq) {
    int64_t d = c.in_channels * c.image_size * c.image_size;
    if (!c.backbone.empty() && c.backbone != "pixels") {
      Generator init(c.seed);
      backbone_ =
          register_module("backbone", make_backbone(backbone_spec(c, c.backbone, 0), init,
                                                    std::make_shared<Generator>(c.seed + 1)));
      d = backbone_->feature_dim();
    }
    codebook_ = register_buffer("codebook", codebook_buffer(c, d, opq ? "opq" : "pq"));
    if (opq) rotation_ = register_buffer("rotation", Tensor::zeros({d, d}));
  }
  // x:(N,C,H,W) -> (N,d): the flattened pixels, or the frozen backbone's features.
  Tensor encode(const Tensor& x) override {
    return backbone_ ? backbone_->frozen_features(x) : x.flatten(1);
  }
  Backbone* backbone() override { return backbone_.get(); }
  Tensor loss(const TrainBatch&, int64_t) override {
    throw std::logic_error("closed-form model: fit() instead of gradient steps");
  }
  bool trains_by_gradient() const override { return false; }
  void fit(const Tensor& images) override {
    NoGradGuard guard;
    Tensor x = encode(images).contiguous().to(DType::f32);
    const retrieval::PqIndex index = retrieval::PqIndex::train(
        x.data<float>(), x.size(0), x.size(1), cfg_.pq_m, cfg_.pq_nbits, opq_, cfg_.seed);
    const std::vector<float>& c = index.quantizer().centroids;
    std::copy(c.begin(), c.end(), codebook_.data<float>());
    if (opq_) std::copy(index.rotation().begin(), index.rotation().end(), rotation_.data<float>());
  }
  std::optional<retrieval::PqIndex> quantizer() const override {
    return index_of(codebook_, cfg_.pq_nbits, opq_ ? rotation_ : Tensor());
  }

 private:
  ModelConfig cfg_;
  bool opq_;
  std::shared_ptr<Backbone> backbone_;
  Tensor codebook_, rotation_;
};

template <bool Opq>
std::shared_ptr<HashModel> make_pq_baseline(const ModelConfig& c) {
  return std::make_shared<PqBaseline>(c, Opq);
}

}  // namespace

extern const ModelEntry dqn_model{
    .name = "dqn",
    .make = make_model_of<Dqn>,
    .summary =
        "DQN (Cao 2016): pairwise cosine loss + PQ loss on the unit descriptor (--dim), "
        "codebook re-fitted each epoch; database as PQ codes (--m, --nbits), asymmetric search",
    .quantised = true};
extern const ModelEntry dpq_model{
    .name = "dpq",
    .make = make_model_of<Dpq>,
    .summary =
        "DPQ (Klein 2019): learned codebook on the output normalised to norm 2, soft and "
        "straight-through hard assignment, cross-entropy on both + joint central loss; PQ "
        "codes, asymmetric search",
    .quantised = true};
extern const ModelEntry pq_model{
    .name = "pq",
    .make = make_pq_baseline<false>,
    .summary =
        "PQ (Jegou 2011): k-means codebooks per subspace of the pixels (or of backbone features: "
        "--features / --backbone); asymmetric search",
    .quantised = true};
extern const ModelEntry opq_model{
    .name = "opq",
    .make = make_pq_baseline<true>,
    .summary =
        "OPQ (Ge 2013): PQ after a learned rotation of the pixels (or of backbone features: "
        "--features / --backbone); asymmetric search",
    .quantised = true};

}  // namespace he::zoo
