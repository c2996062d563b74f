// Unsupervised recipes on the small CNN (recipes.md, 'Autoencoders, variational,
// unsupervised'). Their losses never read the batch labels: labels serve the evaluation only.
//  DeepBit (Lin, Lu, Chen, Zhou, 'Learning Compact Binary Descriptors with Unsupervised Deep
//    Neural Networks', CVPR 2016): p = sigmoid(u), bit = 1[p >= 1/2] (= sign(u));
//    L = quantisation mean((b - p)^2) + 3 * even distribution mean_k(mean_i p_ik - 1/2)^2
//        + 5 * decorrelation of the bits 2p - 1 (bit_decorrelation_loss)
//        + 0.1 * rotation invariance mean((p(x) - p(rot x))^2),
//    rot x the image turned by an angle of magnitude uniform in [5, 10] degrees and random
//    sign (one per image and step). The decorrelation term is not in recipes.md: it is the
//    third criterion of the CVPR paper's abstract ('uncorrelated bits'; the TPAMI 2019
//    version names transformation-invariant bits instead). The paper fine-tunes a pretrained
//    VGG16; the network here (by default the mlp, fc(1024, ReLU) on the pixels) starts from
//    random weights, and without the term every bit learns the same split.
//  UTH (Huang, Xiong, Zhang, Wang, 'Unsupervised Triplet Hashing for Fast Image Retrieval',
//    ACM MM Thematic Workshops 2017): p = sigmoid(u); triplets (image, a distorted copy of
//    it: turned up to 15 degrees either way, zoomed by 0.85..1.15 and moved up to 3 pixels on
//    each axis, another image of the batch: i + shift mod B with a random shift in [1, B);
//    eight such triplets per image, eight shifts per step);
//    L = triplet_hinge(margin 0.25 * bits, squared distances of p) + 0.1 * quantisation
//        mean((b - p)^2) + 20 * bit entropy mean_k(1 - H(mean_i p_ik) / log 2)
//        + 160 * decorrelation of the bits 2p - 1 (bit_decorrelation_loss, DeepBit's term;
//        not in UTH's paper, whose entropy weight is 1: see Uth).
//    The paper starts from a pretrained VGG and its positives are rotated copies; here the
//    network (by default the mlp, fc(1024, ReLU) on the pixels) starts from random weights,
//    and a rotation of 5..10 degrees alone leaves the copy so close to the image that the
//    triplets teach little (measured below).
//  GreedyHash, unsupervised (Su, Zhang, Han, Tian, 'Greedy Hash: Towards Fast Optimization
//    for Accurate Hash Coding in CNN', NeurIPS 2018): b = sign(u) with the identity
//    straight-through gradient (the greedy principle);
//    L = mean_{i,j}(cos(b_i, b_j) - s * cos(f_i, f_j))^2 + 0.1 * mean(| |u| - 1 |^3),
//    s = 0.5 (the paper fits the cosines themselves, s = 1; see kTargetScale).
//    The paper's f are the features of a pretrained VGG16; no pretrained backbone is
//    available here (and one trained on the labels would not be unsupervised), so f are the
//    images' normalised pixel vectors, centred on the batch's mean image (fixed features: no
//    gradient). The target thus caps the codes: ranking the database by the cosine of the
//    centred pixels itself scores mAP@1000 0.575 on FM-quick, 0.720 on protocol FM (first
//    1,000 queries). The default network is the mlp (fc(1024, ReLU) on the pixels;
//    registry.cpp), which fits that pixel-space target closer than the small CNN: protocol
//    FM, 5 epochs, 32 / 64 bits, small CNN 0.602 / 0.626, mlp 0.667 / 0.688 (ITQ 0.666 /
//    0.695); on the mlp, 64 bits: 10 epochs (the default) 0.694, 20 epochs 0.693 (32 bits, 10
//    epochs: 0.668; with a cosine learning-rate decay 0.666 / 0.695); batch 512 0.684 (Adam
//    3e-3 too: 0.684), batch 32 0.678; Adam 3e-4 0.691; the encoder reading x with half its
//    values dropped (denoising, as binae) 0.648 / 0.680; an mlp twice as wide 0.689 (5
//    epochs). Other fixed pixel targets rank no better than the centred pixels' cosine
//    (0.720): each pixel also scaled to unit variance 0.721, the cosine of the top 32 / 64 /
//    128 principal components 0.719 / 0.721 / 0.722 (whitened 0.722 / 0.712 / 0.697).
#include "losses/unsupervised.h"
#include "zoo/augment.h"
#include "zoo/models/models.h"

namespace he::zoo {

namespace {
// A small-CNN model that also draws augmentations (angles, negatives) from its own stream,
// saved with the run for exact resume.
class SelfSupervisedModel : public CnnHashModel {
 public:
  explicit SelfSupervisedModel(const ModelConfig& c)
      : CnnHashModel(c), augment_gen(std::make_shared<Generator>(c.seed + 11)) {}
  std::vector<std::pair<std::string, Generator*>> generators() override {
    auto g = CnnHashModel::generators();
    g.emplace_back("augment", augment_gen.get());
    return g;
  }

 protected:
  // The batch and its rotated copy through the network in one pass: (2B,bits).
  Tensor with_rotated(const Tensor& images, double min_deg, double max_deg) {
    Tensor rotated =
        rotate_images(images, random_rotations(images.size(0), min_deg, max_deg, *augment_gen),
                      normalized_black());
    return net->forward(concat({images, rotated}, 0));
  }
  std::shared_ptr<Generator> augment_gen;
};

class DeepBit : public SelfSupervisedModel {
 public:
  using SelfSupervisedModel::SelfSupervisedModel;
  // Weights measured on FM-quick, 32 bits, 1 epoch (mAP@1000; ITQ 0.566): without the
  // decorrelation term every bit learns the same split (mean |corr| 0.97 between bits,
  // mAP 0.155); rotation weight 1 -> 0.36, 0.1 -> 0.43, 10 -> 0.11 (collapse); decorrelation
  // 5 with rotation 0.1 -> 0.46, the default. Many of its bits are then nearly constant on
  // the database (22 of 32 outside a [0.3, 0.7] share of +1): the decorrelation term is
  // smallest for a constant bit, and the batch balance of p in training (with dropout)
  // does not carry over to the signs in eval mode. Even distribution weighted 10 keeps all
  // but one bit balanced, at mAP 0.38; on straight-through signs instead of p, or without
  // dropout, bits still die (0.41, 0.30).
  // On the mlp network (fc(1024, ReLU) on the pixels), now the default (registry.cpp),
  // protocol FM, 5 epochs, 32 / 64 bits (ITQ 0.666 / 0.695): even distribution weighted 1
  // 0.634 at 64 bits with 48 of 64 bits outside [0.3, 0.7]; 2: 0.682 / 0.708; 3 (the
  // default): 0.685 / 0.704; 5: 0.685 / 0.701; 10: 0.677 / 0.683; 20: 0.638 at 64; 100: 0.490;
  // every bit within [0.3, 0.7] from weight 2 up. (The small CNN with the weights above:
  // 0.515 / 0.506.)
  static constexpr double kEvenDistribution = 3, kDecorrelation = 5, kRotation = 0.1;
  Tensor loss(const TrainBatch& b, int64_t) override {
    const int64_t n = b.images.size(0);
    Tensor p = sigmoid(with_rotated(b.images, 5, 10));
    Tensor p0 = p.narrow(0, 0, n), p1 = p.narrow(0, n, n);
    Tensor l = add(losses::binary_quantization_loss(p0),
                   mul(losses::even_distribution_loss(p0), kEvenDistribution));
    l = add(l, mul(losses::bit_decorrelation_loss(sub(mul(p0, 2.0), 1.0)), kDecorrelation));
    return add(l, mul(losses::mse(p0, p1), kRotation));
  }
};
class Uth : public SelfSupervisedModel {
 public:
  using SelfSupervisedModel::SelfSupervisedModel;
  // Measured on FM-quick, 32 bits, 1 epoch (mAP@1000; ITQ 0.566): margin 0.25 bits -> 0.451,
  // 0.5 bits -> 0.406, 0.1 bits -> 0.458; quantisation 0.1 -> 0.464; no entropy term ->
  // 0.441; rotations of 10..30 degrees instead of 5..10 -> 0.452. Those runs (small CNN,
  // rotated positives) led to margin 0.1 bits, quantisation 0.1 (0.477 after 3 epochs).
  // On protocol FM, 5 epochs, 64 bits (ITQ 0.695), with rotated positives: the small CNN
  // 0.606 (32 bits: 0.573), the mlp 0.583; on the mlp, margin 0.05 / 0.25 / 0.5 / 1 bits
  // 0.584 / 0.621 / 0.572 / 0.284, quantisation 1 0.598, entropy weighted 3 0.599. Distorted
  // positives (margin 0.25): up to 10 degrees, zoom 0.9..1.1, 2 pixels 0.649; 15 degrees,
  // 0.85..1.15, 3 pixels (the default) 0.650 (15 epochs: 0.648); 20 degrees, 0.8..1.2, 4
  // pixels 0.646. The small CNN with the default distortions and margin 0.1: 0.629.
  // One negative per image is the paper's triplet (0.638 / 0.650 at 32 / 64 bits); eight, the
  // default, make more of each batch: 0.650 / 0.652 (another run at 64 bits, with the same
  // triplets summed in another order: 0.656; 32 negatives: 0.657; 10 epochs with a cosine
  // learning-rate decay: 0.662). Two distorted views instead of the image and one: 0.623.
  // The entropy term alone (weight 1, no decorrelation) leaves the bits balanced but free to
  // repeat each other; DeepBit's decorrelation term (on 2p - 1) with a heavier entropy term
  // lifts the codes above ITQ. Protocol FM, 5 epochs, mAP@1000 32 / 64 bits (ITQ 0.666 /
  // 0.695), decorrelation / entropy weights: 0 / 1 (before) 0.650 / 0.652; 1 / 1 - / 0.658;
  // 5 / 1 - / 0.670; 10 / 1 0.671 / 0.672-0.674; 20 / 1 - / 0.677 (3 bits outside [0.3,
  // 0.7]); 20 / 3 0.677 / 0.683; 30 / 3 - / 0.688; 40 / 5 0.685 / 0.694; 40 / 10 - / 0.695;
  // 80 / 5 - / 0.696; 80 / 10 0.686 / 0.696 (10 epochs: 0.702); 160 / 20 (the default)
  // 0.687 / 0.704 (10 epochs: 0.706); 320 / 40 0.687 / 0.702; 640 / 80 0.686 / 0.709; 1280 /
  // 160 0.673 / 0.704 (experiment builds; every bit within [0.3, 0.7] from 20 / 3 up). The
  // triplets still carry the codes: with 100000 / 12500 (triplets a negligible part of the
  // loss) 0.267 at 64 bits. With 10 / 1 at 64 bits: margin 0.4 0.659, 0.15 0.671,
  // entropy 3 0.672, quantisation 0.01 0.675. The strong terms spread the codes: at 64 bits
  // P@r2 falls from 0.666 to 0.37 and mAP@all from 0.469 to 0.35 while mAP@1000 rises.
  static constexpr double kMargin = 0.25, kQuantization = 0.1, kEntropy = 20, kDecorrelation = 160;
  static constexpr WarpRange kPositive{15, 0.15, 3};
  static constexpr int64_t kNegatives = 8;
  Tensor loss(const TrainBatch& b, int64_t) override {
    const int64_t n = b.images.size(0);
    Tensor warped =
        warp_images(b.images, random_warps(n, kPositive, *augment_gen), normalized_black());
    Tensor p = sigmoid(net->forward(concat({b.images, warped}, 0)));
    Tensor anchor = p.narrow(0, 0, n), positive = p.narrow(0, n, n);
    // kNegatives triplets per image: the k-th negative of image i is image (i + shift_k) mod B
    // of the same batch, one random shift_k in [1, B) per k and step.
    std::vector<int64_t> other(static_cast<size_t>(kNegatives * n));
    for (int64_t k = 0; k < kNegatives; ++k) {
      const int64_t shift = n > 1 ? 1 + static_cast<int64_t>(augment_gen->below(n - 1)) : 0;
      for (int64_t i = 0; i < n; ++i) other[k * n + i] = (i + shift) % n;
    }
    Tensor negative = index_select(anchor, 0, Tensor::from_vector(other));
    std::vector<Tensor> anchors(kNegatives, anchor), positives(kNegatives, positive);
    Tensor l = losses::triplet_hinge(concat(anchors, 0), concat(positives, 0), negative,
                                     kMargin * cfg.bits);
    l = add(l, mul(losses::binary_quantization_loss(anchor), kQuantization));
    l = add(l, mul(losses::bit_decorrelation_loss(sub(mul(anchor, 2.0), 1.0)), kDecorrelation));
    return add(l, mul(losses::bit_entropy_loss(anchor), kEntropy));
  }
};
class GreedyHashUnsupervised : public CnnHashModel {
 public:
  using CnnHashModel::CnnHashModel;
  // Measured on FM-quick, 32 bits (mAP@1000; ITQ 0.566; ranking by the target itself, the
  // cosine of the centred pixels: 0.575): 1 epoch 0.430 (uncentred pixels 0.386; alpha 0.01
  // 0.439, alpha 1 0.374; Adam 1e-4 0.454); 3 epochs 0.473 (alpha 0.01 with Adam 1e-4: 0.480).
  // The target is half the pixel cosine. The order of the targets stays the same, but a
  // similar pair asks for less agreement between its codes (a cosine of 0.9 asks for 95% of
  // equal bits, 0.45 for 72%), which presumably leaves the codes of the many images that
  // resemble each other room to spread over the bits. Protocol FM, 10 epochs, mAP@1000 at
  // 32 / 64 bits (ITQ 0.666 / 0.695): s = 1 0.668 / 0.691; 0.7 0.700 / 0.701; 0.5 (the
  // default) 0.711 / 0.718 (bits outside [0.3, 0.7]: 0 / 1); 0.45 0.688 (1) / 0.721 (1); 0.4
  // 0.709 (2) / 0.724-0.728 (2-3); 0.3 - / 0.721; 1.5 - / 0.623; 2 - / 0.574 (experiment
  // builds; runs differ by up to 0.02 from one setting to the next: the curve is not smooth).
  static constexpr double kTargetScale = 0.5;
  Tensor loss(const TrainBatch& b, int64_t) override {
    Tensor u = net->forward(b.images);
    Tensor codes = sign_ste(u, SteGrad::Identity);
    Tensor f = b.images.flatten(1);
    f = sub(f, mean(f, {0}, true));  // centred on the batch's mean image
    return add(losses::cosine_structure_loss(codes, f, kTargetScale),
               losses::greedy_hash_penalty(u, 0.1));
  }
  // 10 epochs (header: 0.694 at 64 bits against 0.688 in 5; 32 bits 0.668 against 0.667).
  int64_t default_epochs() const override { return 10; }
};
}  // namespace

extern const ModelEntry greedyhash_u_model{
    .name = "greedyhash-u",
    .make = make_model_of<GreedyHashUnsupervised>,
    .summary =
        "GreedyHash (Su 2018), unsupervised: sign straight-through, code cosines fit the "
        "cosines of the centred pixels",
    .backbone = "mlp"};

extern const ModelEntry uth_model{
    .name = "uth",
    .make = make_model_of<Uth>,
    .summary =
        "UTH (Huang 2017), unsupervised: triplets (image, a rotated, zoomed and shifted copy, "
        "another image) + quantisation + bit entropy",
    .backbone = "mlp"};

extern const ModelEntry deepbit_model{
    .name = "deepbit",
    .make = make_model_of<DeepBit>,
    .summary =
        "DeepBit (Lin 2016), unsupervised: sigmoid codes, quantisation + even distribution + "
        "decorrelation + rotation invariance",
    .backbone = "mlp"};

}  // namespace he::zoo
