// Recipes with a discrete update of binary codes between epochs:
//  DSDH (Li, Sun, He, Tan, 'Deep Supervised Discrete Hashing', NeurIPS 2017): the network
//    trains on the DPSH pairwise likelihood over in-batch pairs plus eta_net * mean((u -
//    B_i)^2) towards its discrete code, with a BatchNorm1d on the hash layer (as the zoo's
//    DPSH, pairwise.cpp); after each epoch the classifier W = (B^T B + nu/mu I)^-1 B^T Y is
//    solved in closed form and B is updated bit by bit (discrete cyclic coordinate descent,
//    10 sweeps) on mu ||Y - B W||^2 + eta ||B - U||^2, mu = nu = 1, eta = 55, U the latest
//    u of every training image. eta_net = 0.1 weights the network's pull towards B in the
//    mean-normalised loss.
//  ADSH (Jiang, Li, 'Asymmetric Deep Supervised Hashing', AAAI 2018): the database codes V are
//    learned directly; the network h = tanh(u) of each query image fits
//    ||h V^T - bits * S||^2 + gamma ||V_i - h||^2 (S in {-1,+1}, gamma = 200), and V is
//    updated in closed form bit by bit every 6,000 training images (the paper's outer
//    iteration: 3 epochs on 2,000 sampled queries). Every training image is both a query and
//    a database item; evaluation searches the test queries against V.
#include <cmath>

#include "zoo/models/models.h"

namespace he::zoo {

namespace {
// sign with sign(0) = +1, as +-1 floats.
inline float pm1(double v) { return v >= 0 ? 1.0f : -1.0f; }

Tensor random_codes(int64_t n, int64_t bits, uint64_t seed) {
  Generator g(seed);
  Tensor r = Tensor::randn({n, bits}, g);
  return where(ge(r, Tensor::scalar(0)), Tensor::scalar(1), Tensor::scalar(-1));
}

class Dsdh : public CnnHashModel {
 public:
  // In-batch pairs and a BatchNorm1d on the hash layer (scale 1), Adam 1e-3. Protocol FM,
  // 5 epochs, mAP@1000 at 32 bits (ITQ 0.666): memory bank, no norm, Adam 1e-4 0.629
  // (0.757 at 64); memory bank with the norm, Adam 1e-4, collapsed at both lengths (0.106: the hash
  // layer's input stopped varying, variance ~1e-12 before the norm, and u sat at the saddle
  // u = 0); in-batch with the norm, Adam 1e-3 0.859. The bank still records every image's
  // latest u: it is the U of the B update.
  explicit Dsdh(const ModelConfig& c) : CnnHashModel(c, /*hash_bn_gamma=*/1.0) {
    require_class_ids(c, "dsdh", "its codes regress class ids");
    bank_ = register_buffer("bank", Tensor::zeros({c.train_size, c.bits}));
    codes_ = register_buffer("codes", random_codes(c.train_size, c.bits, c.seed + 11));
    classifier_ = register_buffer("classifier", Tensor::zeros({c.bits, c.num_classes}));
    train_labels_ = register_buffer("train_labels", Tensor::zeros({c.train_size}, DType::i64));
  }
  void begin_training(const Tensor& labels) override { train_labels_.copy_(labels); }
  double default_lr() const override { return 1e-3; }
  Tensor loss(const TrainBatch& b, int64_t) override {
    Tensor u = b.all_rows(output(b.images)), indices = b.all_rows(b.indices);
    assign_rows(bank_, indices, u);
    Tensor target = index_select(codes_, 0, indices);
    return add(losses::dpsh(u, losses::similarity(b.all_rows(b.labels)), 0.0),
               mul(mean(pow(sub(u, target), 2.0)), 0.1));
  }
  bool gathers_rows() const override { return true; }
  void end_epoch(int64_t) override {
    const int64_t n = cfg.train_size, bits = cfg.bits, C = cfg.num_classes;
    const double mu = 1, nu = 1, eta = 55;
    std::vector<float> B = codes_.to_vector<float>(), U = bank_.to_vector<float>();
    std::vector<int64_t> y = train_labels_.to_vector<int64_t>();
    for (int sweep = 0; sweep < 10; ++sweep) {
      // W = (B^T B + nu/mu I)^-1 B^T Y
      std::vector<double> btb(bits * bits, 0), bty(bits * C, 0);
      for (int64_t i = 0; i < n; ++i)
        for (int64_t a = 0; a < bits; ++a) {
          bty[a * C + y[i]] += B[i * bits + a];
          for (int64_t c = 0; c < bits; ++c) btb[a * bits + c] += B[i * bits + a] * B[i * bits + c];
        }
      for (int64_t a = 0; a < bits; ++a) btb[a * bits + a] += nu / mu;
      const std::vector<double> W =
          solve_spd(Tensor::from_vector(btb, {bits, bits}), Tensor::from_vector(bty, {bits, C}))
              .to_vector<double>();  // (bits, C)
      // B by bits: b_k = sign(P_k - mu * (B_{-k} W_{-k}) W_k^T), P = mu Y W^T + eta U.
      std::vector<double> BW(n * C, 0);
      for (int64_t i = 0; i < n; ++i)
        for (int64_t a = 0; a < bits; ++a)
          for (int64_t c = 0; c < C; ++c) BW[i * C + c] += B[i * bits + a] * W[a * C + c];
      for (int64_t k = 0; k < bits; ++k)
        for (int64_t i = 0; i < n; ++i) {
          double z = mu * W[k * C + y[i]] + eta * U[i * bits + k];
          double old = B[i * bits + k];
          for (int64_t c = 0; c < C; ++c)
            z -= mu * (BW[i * C + c] - old * W[k * C + c]) * W[k * C + c];
          float nb = pm1(z);
          if (nb != old)
            for (int64_t c = 0; c < C; ++c) BW[i * C + c] += (nb - old) * W[k * C + c];
          B[i * bits + k] = nb;
        }
      if (sweep == 9) classifier_.copy_(Tensor::from_vector(W, {bits, C}));
    }
    codes_.copy_(Tensor::from_vector(B, {n, bits}));
  }

 private:
  Tensor bank_, codes_, classifier_, train_labels_;
};

class Adsh : public CnnHashModel {
 public:
  explicit Adsh(const ModelConfig& c) : CnnHashModel(c) {
    require_class_ids(c, "adsh", "its code update sums outputs per class");
    db_codes_ = register_buffer("db_codes", random_codes(c.train_size, c.bits, c.seed + 13));
    bank_ = register_buffer("bank", Tensor::zeros({c.train_size, c.bits}));
    seen_ = register_buffer("seen", Tensor::zeros({c.train_size, 1}));  // 1: in Omega
    train_labels_ = register_buffer("train_labels", Tensor::zeros({c.train_size}, DType::i64));
  }
  void begin_training(const Tensor& labels) override { train_labels_.copy_(labels); }
  Tensor encode(const Tensor& x) override { return tanh(net->forward(x)); }
  Tensor loss(const TrainBatch& b, int64_t iter) override {
    // The paper's outer iteration samples m = 2000 database items, trains 3 epochs of those
    // queries against their codes V_Omega, then updates V: 6,000 query images per update.
    // Here V is updated every 6,000 training images from the outputs of the images seen
    // since the last update (before this step's forward, so no V the graph holds changes
    // under it), and between updates the batches fit the codes of m rows drawn at random.
    Tensor indices = b.all_rows(b.indices);  // the whole batch's, as every rank's V update needs
    const int64_t period = std::max<int64_t>(1, kImagesPerUpdate / indices.numel());
    if (iter > 0 && iter % period == 0) update_codes();
    const Tensor& partners = sampled_rows(iter / period);
    Tensor h = tanh(b.all_rows(net->forward(b.images)));
    assign_rows(bank_, indices, h);
    assign_rows(seen_, indices, Tensor::ones({indices.numel(), 1}));
    Tensor S = losses::similarity(b.all_rows(b.labels), index_select(train_labels_, 0, partners));
    return losses::adsh(h, index_select(db_codes_, 0, partners), S,
                        index_select(db_codes_, 0, indices), kGamma);
  }
  bool gathers_rows() const override { return true; }
  void end_epoch(int64_t) override { update_codes(); }
  std::optional<Tensor> database_codes() const override { return db_codes_; }

 private:
  static constexpr double kGamma = 200;
  static constexpr int64_t kImagesPerUpdate = 6000, kSampled = 2000;
  // The m database rows the batches of update period `round` fit: a pure function of the
  // seed and the round, so a resumed run draws the same ones.
  const Tensor& sampled_rows(int64_t round) {
    if (round != sampled_round_) {
      Generator g(cfg.seed + 17 + static_cast<uint64_t>(round));
      sampled_ =
          Tensor::randperm(cfg.train_size, g).narrow(0, 0, std::min(kSampled, cfg.train_size));
      sampled_round_ = round;
    }
    return sampled_;
  }
  Tensor sampled_;
  int64_t sampled_round_ = -1;
  // S = (1 + r) [same] - r with r = similar / dissimilar pairs: the authors' released code
  // softens S in {-1, +1} this way so that every row of S sums to about 0. With the hard
  // S, 9 dissimilar pairs in 10 (10 classes) make the dissimilar term set a bit pattern
  // common to every class, and the alternation settles with the database codes on it and
  // the query codes on its complement (P@r2 0, mAP@1000 0.38 at 64 bits before this).
  static double ratio(double similar, double dissimilar) {
    return dissimilar > 0 ? similar / dissimilar : 0.0;
  }
  // V by bits in closed form over the sampled queries Omega (the rows seen since the last
  // update), H their outputs: V_k = -sign(2 V_{-k} G_{-k,k} + Q_k), G = H^T H,
  // Q = -2 bits S^T H - 2 gamma H_bar, S^T H from per-class sums (S = (1 + r)[same] - r).
  void update_codes() {
    const int64_t n = cfg.train_size, bits = cfg.bits, C = cfg.num_classes;
    std::vector<float> H = bank_.to_vector<float>(), V = db_codes_.to_vector<float>();
    std::vector<float> seen = seen_.to_vector<float>();
    std::vector<int64_t> y = train_labels_.to_vector<int64_t>();
    std::vector<double> class_sum(C * bits, 0), total(bits, 0), G(bits * bits, 0);
    int64_t sampled = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (seen[i] == 0) continue;
      ++sampled;
      for (int64_t a = 0; a < bits; ++a) {
        class_sum[y[i] * bits + a] += H[i * bits + a];
        total[a] += H[i * bits + a];
        for (int64_t c = 0; c < bits; ++c) G[a * bits + c] += H[i * bits + a] * H[i * bits + c];
      }
    }
    if (sampled == 0) return;
    std::vector<double> count_all(C, 0), count_seen(C, 0);
    for (int64_t i = 0; i < n; ++i) {
      count_all[y[i]] += 1;
      count_seen[y[i]] += seen[i] != 0 ? 1 : 0;
    }
    double similar = 0;
    for (int64_t c = 0; c < C; ++c) similar += count_all[c] * count_seen[c];
    const double r = ratio(similar, static_cast<double>(sampled) * n - similar);
    for (int sweep = 0; sweep < 3; ++sweep)
      for (int64_t k = 0; k < bits; ++k)
        for (int64_t j = 0; j < n; ++j) {
          double z = -2.0 * bits * ((1 + r) * class_sum[y[j] * bits + k] - r * total[k]);
          if (seen[j] != 0) z -= 2.0 * kGamma * H[j * bits + k];
          for (int64_t a = 0; a < bits; ++a)
            if (a != k) z += 2.0 * V[j * bits + a] * G[a * bits + k];
          V[j * bits + k] = -pm1(z);
        }
    db_codes_.copy_(Tensor::from_vector(V, {n, bits}));
    seen_.fill_(0);
  }
  Tensor db_codes_, bank_, seen_, train_labels_;
};
}  // namespace

extern const ModelEntry dsdh_model{
    .name = "dsdh",
    .make = make_model_of<Dsdh>,
    .summary =
        "DSDH (Li 2017): pairwise likelihood + discrete codes and linear classifier per epoch"};

extern const ModelEntry adsh_model{
    .name = "adsh",
    .make = make_model_of<Adsh>,
    .summary = "ADSH (Jiang 2018): asymmetric, learns the database codes directly"};

}  // namespace he::zoo
