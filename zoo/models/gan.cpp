// GAN hashing models (recipes.md, 'GAN'), unsupervised, on DCGAN-style networks
// (zoo/nets/dcgan.h). Each trains two parts with their own Adam in turn (HashModel's extra
// parts); labels are never read.
//  BinGAN (Zieba, Semberecki, El-Gaaly & Trzcinski, 'BinGAN: Learning Compact Binary
//    Descriptors with a Regularized GAN', NeurIPS 2018): the code is the discriminator's
//    penultimate layer. Discriminator: f = trunk(x) (256, the real-valued layer),
//    h = fc(bits)(f) (the binary layer, codes sign(h)), logit = fc(1)(tanh(h)).
//    Discriminator (main part) loss, per batch:
//      BCE(D(x), 1) + BCE(D(G(z)), 0)                       z ~ N(0, I_64), G(z) detached
//      + kDistance * cosine_structure(sign-STE(tanh h), f centred on the batch)
//      + kBre * bre_loss(h, kBreEps)                        (kBre 3, kBreEps 0.1)
//    The distance-matching regulariser keeps the binary layer's normalised Hamming distances
//    equal to the real-valued layer's (cosine) distances; BRE balances and decorrelates bits.
//    Generator (extra part) loss: feature matching on f, ||mean f(G(z)) - mean f(x)||^2 / 256,
//    as in Improved GAN (Salimans et al. 2016), on which BinGAN builds. The trunk has no batch
//    norm (it sees real and generated batches; see dcgan.h).
//    Measured on FM-quick, 32 bits, 5 epochs (mAP@1000; ITQ 0.566; bits outside a [0.3, 0.7]
//    share of +1), with BRE weight 1: 0.530 (0 out); with batch norm in the trunk 0.507 (3 out);
//    distance weight 0.3: 0.528, 5 (with batch norm): 0.427; BRE weight 3: 0.526; BRE eps
//    0.01: 0.503 (7 out); Adam 1e-3: 0.501; a 512-d real-valued layer: 0.442 (15 out); the
//    distance target on uncentred f: 0.404 (20 out). At 64 bits BRE weight 1 scores 0.502
//    with 10 of 64 bits outside; BRE weight 3: 0.528 (26 out); a bit-balance term on tanh h
//    added to BRE: 0.467 (33 out; 0.530, 0 out, at 32 bits). ITQ there: 0.566 / 0.585.
//    Those did not carry over to protocol FM (ITQ 0.666 / 0.695 at 32 / 64 bits). There, in 5
//    epochs, the BRE weight decides:
//    1: 0.582 / 0.629 (one bit of 64 outside [0.3, 0.7]); 2: 0.672 / 0.673; 3: 0.666 / 0.694;
//    5: 0.655 / 0.695; 10: 0.692 at 64 bits; every bit within [0.3, 0.7] from 2 up. Its
//    second term pushes the codes of different images apart. Without the adversarial term
//    (BRE 3) 0.373 at 64 bits: the GAN is what shapes the real-valued layer. A
//    discriminator and generator of fully connected layers (fc 1024, fc 256; Improved GAN's
//    for MNIST are fully connected too), BRE 1: 0.604 / 0.614. The default is BRE 3 and 10 epochs
//    (default_epochs): 0.671 / 0.706, every bit within [0.3, 0.7]. (Distance weight 0.5 with
//    BRE 3, 5 epochs: 0.693 at 64 bits.)
//  BGAN (Song, He, Gao, Xu & Shen, 'Binary Generative Adversarial Networks for Image
//    Retrieval', AAAI 2018): encoder u = fc(bits)(trunk(x)), code h = tanh(beta u) with
//    beta = (1 + 0.005 iter)^0.5 (continuation towards sign), generator x' = G(h).
//    Encoder + generator (main part) loss:
//      mse(x', x)                                           (content)
//      + kAdversarial * BCE(D(x'), 1)                       (adversarial)
//      + kNeighbour * similarity_matching(h, W + I)         (neighbourhood structure)
//      + kBalance * bit_balance(h)                          (not in the paper, see below)
//    W the in-batch k-NN graph (knn_graph, k = kNeighbours, cosine) of the images' pixels
//    centred on the batch's mean image: the paper's graph is built on pretrained VGG features,
//    which this machine does not have. Discriminator (extra part): BCE(D(x), 1) +
//    BCE(D(x'), 0) on the main part's x', detached. Codes sign(u).
//    Measured on FM-quick, 32 bits, 5 epochs (mAP@1000; ITQ 0.566; bits outside a [0.3, 0.7]
//    share of +1 on the database): without the balance term 0.571 (4 bits out); balance 0.1:
//    0.572 (2 out); balance 1: 0.569 (0 out), the default; BRE (weight 1) instead: 0.551;
//    k = 10: 0.564 (7 out); neighbour weight 3: 0.559; batch 256 with k = 10: 0.572 (7 out).
//  Both: Adam 2e-4 with beta1 0.5 (DCGAN's), batch 128.
#include <algorithm>
#include <cmath>

#include "losses/hashing.h"
#include "losses/unsupervised.h"
#include "zoo/models/models.h"
#include "zoo/nets/dcgan.h"

namespace he::zoo {

namespace {
using nn::Linear;
using nn::Sequential;

constexpr int64_t kHidden = 256;

std::unique_ptr<optim::Optimizer> adam(const std::vector<Tensor>& params, double lr) {
  optim::AdamOptions o;
  o.lr = lr;
  o.beta1 = 0.5;  // DCGAN's setting
  return std::make_unique<optim::Adam>(params, o);
}
std::vector<Tensor> parameters_of(std::initializer_list<nn::Module*> modules) {
  std::vector<Tensor> out;
  for (nn::Module* m : modules)
    for (const Tensor& p : m->parameters()) out.push_back(p);
  return out;
}
Tensor bce_to(const Tensor& logits, double target) {
  return losses::bce_with_logits(
      logits, target > 0 ? Tensor::ones(logits.shape()) : Tensor::zeros(logits.shape()));
}
Tensor centred(const Tensor& x) { return sub(x, mean(x, {0}, true)); }
Tensor identity(int64_t n, DType dt) {
  std::vector<double> v(n * n, 0.0);
  for (int64_t i = 0; i < n; ++i) v[i * n + i] = 1;
  return Tensor::from_vector(v, {n, n}).to(dt);
}

// A GAN model that logs the batch's bit balance (fraction of +1 per bit, lowest and highest:
// a collapsed bit sits at 0 or 1).
class GanModel : public HashModel {
 public:
  std::map<std::string, double> log_values() const override {
    auto v = extra_log_;
    v["bit_min"] = balance_min_, v["bit_max"] = balance_max_;
    return v;
  }

 protected:
  void record_balance(const Tensor& h) {
    std::vector<float> m = mean(gt(h.detach(), 0.0).to(DType::f32), {0}).to_vector<float>();
    balance_min_ = *std::min_element(m.begin(), m.end());
    balance_max_ = *std::max_element(m.begin(), m.end());
  }
  std::map<std::string, double> extra_log_;

 private:
  double balance_min_ = 0, balance_max_ = 0;
};

class BinGan : public GanModel {
 public:
  static constexpr int64_t kNoise = 64;
  static constexpr double kDistance = 1.0, kBre = 3.0, kBreEps = 0.1;
  explicit BinGan(const ModelConfig& c) : noise_gen_(std::make_shared<Generator>(c.seed + 1)) {
    Generator init(c.seed);
    trunk = register_module("discriminator.trunk", nn::dcgan_trunk(kHidden, init, false));
    binary =
        register_module("discriminator.binary", std::make_shared<Linear>(kHidden, c.bits, init));
    judge = register_module("discriminator.judge", std::make_shared<Linear>(c.bits, 1, init));
    generator = register_module("generator", nn::dcgan_generator(kNoise, init));
  }
  Tensor encode(const Tensor& x) override { return binary->forward(trunk->forward(x)); }

  Tensor loss(const TrainBatch& batch, int64_t) override {
    const int64_t n = batch.images.size(0);
    Tensor fake;
    {
      NoGradGuard guard;
      fake = generator->forward(Tensor::randn({n, kNoise}, *noise_gen_));
    }
    Tensor f = trunk->forward(batch.images), h = binary->forward(f);
    Tensor adv = add(bce_to(judge->forward(tanh(h)), 1), bce_to(logit(fake), 0));
    Tensor codes = sign_ste(tanh(h));
    Tensor dmr = losses::cosine_structure_loss(codes, centred(f.detach()));
    Tensor bre = losses::bre_loss(h, kBreEps);
    real_features_ = mean(f.detach(), {0});
    record_balance(h);
    extra_log_ = {{"dmr", dmr.item<double>()}, {"bre", bre.item<double>()}};
    return add(adv, add(mul(dmr, kDistance), mul(bre, kBre)));
  }
  Tensor extra_loss(size_t part, const TrainBatch& batch, int64_t) override {
    if (part != 0) throw std::logic_error("bingan: one extra part (the generator)");
    const int64_t n = batch.images.size(0);
    Tensor fake = generator->forward(Tensor::randn({n, kNoise}, *noise_gen_));
    return losses::mse(mean(trunk->forward(fake), {0}), real_features_);
  }

  std::unique_ptr<optim::Optimizer> make_optimizer(const ModelConfig& c) override {
    return adam(parameters_of({trunk.get(), binary.get(), judge.get()}), c.lr);
  }
  std::vector<ExtraPart> make_extra_parts(const ModelConfig& c) override {
    std::vector<ExtraPart> parts;
    parts.push_back({"generator", adam(generator->parameters(), c.lr)});
    return parts;
  }
  std::string loss_name() const override { return "discriminator"; }
  double default_lr() const override { return 2e-4; }
  int64_t default_epochs() const override { return 10; }
  std::vector<std::pair<std::string, Generator*>> generators() override {
    return {{"noise", noise_gen_.get()}};
  }

  std::shared_ptr<Sequential> trunk, generator;
  std::shared_ptr<Linear> binary, judge;

 private:
  Tensor logit(const Tensor& x) { return judge->forward(tanh(encode(x))); }
  std::shared_ptr<Generator> noise_gen_;
  Tensor real_features_;
};

class Bgan : public GanModel {
 public:
  static constexpr int64_t kNeighbours = 5;
  static constexpr double kAdversarial = 0.01, kNeighbour = 1.0, kBalance = 1.0;
  explicit Bgan(const ModelConfig& c) {
    Generator init(c.seed);
    encoder = register_module("encoder.trunk", nn::dcgan_trunk(kHidden, init));
    hash = register_module("encoder.hash", std::make_shared<Linear>(kHidden, c.bits, init));
    generator = register_module("generator", nn::dcgan_generator(c.bits, init));
    critic = register_module("discriminator.trunk", nn::dcgan_trunk(kHidden, init));
    judge = register_module("discriminator.judge", std::make_shared<Linear>(kHidden, 1, init));
  }
  Tensor encode(const Tensor& x) override { return hash->forward(encoder->forward(x)); }

  Tensor loss(const TrainBatch& batch, int64_t iter) override {
    const Tensor& x = batch.images;
    beta_ = std::sqrt(1.0 + 0.005 * static_cast<double>(iter));
    Tensor h = continuation(encode(x), beta_);
    Tensor rebuilt = generator->forward(h);
    Tensor content = losses::mse(rebuilt, x);
    Tensor adv = bce_to(logit(rebuilt), 1);
    Tensor w = losses::knn_graph(centred(x.flatten(1)), kNeighbours);
    w = add(w, identity(x.size(0), w.dtype()));
    Tensor neighbour = losses::similarity_matching_loss(h, w);
    fake_ = rebuilt.detach();
    record_balance(h);
    extra_log_ = {{"beta", beta_},
                  {"content", content.item<double>()},
                  {"neighbour", neighbour.item<double>()}};
    Tensor structure = add(mul(neighbour, kNeighbour), mul(losses::bit_balance_loss(h), kBalance));
    return add(add(content, mul(adv, kAdversarial)), structure);
  }
  Tensor extra_loss(size_t part, const TrainBatch& batch, int64_t) override {
    if (part != 0) throw std::logic_error("bgan: one extra part (the discriminator)");
    return add(bce_to(logit(batch.images), 1), bce_to(logit(fake_), 0));
  }

  std::unique_ptr<optim::Optimizer> make_optimizer(const ModelConfig& c) override {
    return adam(parameters_of({encoder.get(), hash.get(), generator.get()}), c.lr);
  }
  std::vector<ExtraPart> make_extra_parts(const ModelConfig& c) override {
    std::vector<ExtraPart> parts;
    parts.push_back({"discriminator", adam(parameters_of({critic.get(), judge.get()}), c.lr)});
    return parts;
  }
  std::string loss_name() const override { return "encoder_generator"; }
  double default_lr() const override { return 2e-4; }

  std::shared_ptr<Sequential> encoder, generator, critic;
  std::shared_ptr<Linear> hash, judge;

 private:
  Tensor logit(const Tensor& x) { return judge->forward(critic->forward(x)); }
  Tensor fake_;
  double beta_ = 1;
};
}  // namespace

extern const ModelEntry bingan_model{
    .name = "bingan",
    .make = make_model_of<BinGan>,
    .summary =
        "BinGAN (Zieba 2018), unsupervised: the DCGAN discriminator's sign-STE penultimate layer, "
        "distance matching + BRE regularisers, feature-matching generator"};

extern const ModelEntry bgan_model{
    .name = "bgan",
    .make = make_model_of<Bgan>,
    .summary =
        "BGAN (Song 2018), unsupervised: encoder -> continuation sign code -> generator, "
        "discriminator, content + adversarial + k-NN neighbourhood structure losses"};

}  // namespace he::zoo
