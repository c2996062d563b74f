// The pairwise-likelihood and contrastive recipes on the small CNN (shared/recipes.md):
//  DPSH (Li, Wang, Kang, 'Feature Learning based Deep Supervised Hashing with Pairwise
//    Labels', IJCAI 2016): in-batch pairs, with a BatchNorm1d on the hash layer whose scale
//    starts at sqrt(8 / bits), eta = 1 and Adam 1e-3 (DpshSettings). Why: at initialisation
//    every image's u shares one large direction (the hash layer applied to the mean of the
//    non-negative ReLU features), so every pair has theta ~ 2.5; with 9 dissimilar pairs in
//    10 the fastest way down is to shrink u, and the likelihood then sits near log 2, the
//    saddle at u = 0, for the whole first epoch (Adam 1e-3 collapses; so did PyTorch's run
//    in issue 7: 0.29). The batch norm removes the shared direction. eta = 1 holds |u| near
//    1 against the dissimilar pairs' push. The starting scale puts theta = u_i.u_j / 2 in the
//    likelihood's working range at any length (scale 1 gives |u|^2 = bits, and similar
//    pairs saturate long before their codes agree); a scale well below it puts u back at
//    the saddle. Protocol FM, 5 epochs, mAP@1000 at 64 bits: raw u, eta 0.1, Adam 1e-4
//    0.824; norm (scale 1), eta 0.1, Adam 1e-3 0.851; scale 1, eta 1, Adam 1e-4 0.847;
//    scale 1, eta 1, Adam 1e-3 0.864; 0.35 0.869; sqrt(8/64) 0.871; 0.25 0.870; 0.177
//    0.842; at sqrt(8/64), Adam 5e-4 0.866, 2e-3 0.871, eta 0.5 0.871, eta 2 0.861. At 32
//    bits: scale 1 0.860; 0.5 0.863; 0.25 0.634 (stuck at the saddle). The reference
//    code's memory-bank form, with the norm, 1 epoch: 0.762 against 0.784 in-batch, a third
//    as fast;
//  DHN (Zhu, Long, Wang, Cao, 'Deep Hashing Network for Efficient Similarity Retrieval',
//    AAAI 2016) against the memory bank, as in its reference code, Adam 1e-4 by default;
//  DSH (Liu, Wang, Shan, Chen, 'Deep Supervised Hashing for Fast Image Retrieval', CVPR
//    2016), in-batch pairs, m = 2 bits, alpha = 0.01;
//  DCH (Cao, Long, Liu, Wang, 'Deep Cauchy Hashing for Hamming Space Retrieval', CVPR 2018),
//    in-batch, gamma = 20, lambda = 0.1;
//  DTSH (Wang, Shi, Kitani, 'Deep Supervised Hashing with Triplet Labels', ACCV 2016), all
//    valid in-batch triplets, alpha = 5, lambda = 1.
#include <fmt/format.h>

#include "zoo/models/models.h"

namespace he::zoo {

void require_class_ids(const ModelConfig& c, const char* model, const char* why) {
  if (c.multi_label)
    throw std::invalid_argument(fmt::format(
        "{} needs one class per image ({}), and the data is multi-label; the pairwise recipes "
        "(hashnet, dpsh, dsh, dch, dtsh, dhn, csq) and the unsupervised ones train on it",
        model, why));
}

namespace {
// Memory-bank recipes (DHN): a pairwise loss of the batch against the bank of every
// training image's latest output. The bank and the training labels are buffers (saved with
// the model).
class BankModel : public CnnHashModel {
 public:
  using BankLoss = Tensor (*)(const Tensor& u, const Tensor& U, const Tensor& S, double weight);
  BankModel(const ModelConfig& c, BankLoss loss, double weight)
      : CnnHashModel(c), loss_(loss), weight_(weight) {
    bank_ = register_buffer("bank", Tensor::zeros({c.train_size, c.bits}));
    train_labels_ =
        register_buffer("train_labels", c.multi_label ? Tensor::zeros({c.train_size, c.num_classes})
                                                      : Tensor::zeros({c.train_size}, DType::i64));
  }
  void begin_training(const Tensor& labels) override { train_labels_.copy_(labels); }
  // The unbalanced likelihood (9 dissimilar pairs in 10) drives Adam 1e-3 into poor codes on
  // FM-quick (mAP@1000 0.22 after one epoch against 0.48 with 1e-4), so these recipes
  // default to Adam 1e-4, closer to their reference optimiser (RMSprop 1e-5).
  double default_lr() const override { return 1e-4; }
  Tensor loss(const TrainBatch& b, int64_t) override {
    Tensor u = b.all_rows(net->forward(b.images));
    assign_rows(bank_, b.all_rows(b.indices), u);  // u (B,bits) refreshes its rows of the bank
    return loss_(u, bank_, losses::similarity(b.all_rows(b.labels), train_labels_), weight_);
  }
  bool gathers_rows() const override { return true; }

 private:
  BankLoss loss_;
  double weight_;
  Tensor bank_, train_labels_;
};

class Dpsh : public CnnHashModel {
 public:
  explicit Dpsh(const ModelConfig& c) : CnnHashModel(c, DpshSettings::hash_bn_gamma(c.bits)) {}
  double default_lr() const override { return DpshSettings::lr; }
  Tensor loss(const TrainBatch& b, int64_t) override {
    return losses::dpsh(b.all_rows(output(b.images)), losses::similarity(b.all_rows(b.labels)),
                        DpshSettings::eta);
  }
  bool gathers_rows() const override { return true; }
};

class Dsh : public CnnHashModel {
 public:
  using CnnHashModel::CnnHashModel;
  Tensor loss(const TrainBatch& b, int64_t) override {
    return losses::dsh(b.all_rows(net->forward(b.images)), losses::similarity(b.all_rows(b.labels)),
                       0.01, 2.0 * cfg.bits);
  }
  bool gathers_rows() const override { return true; }
};

class Dch : public CnnHashModel {
 public:
  using CnnHashModel::CnnHashModel;
  Tensor loss(const TrainBatch& b, int64_t) override {
    return losses::dch(b.all_rows(net->forward(b.images)), losses::similarity(b.all_rows(b.labels)),
                       20, 0.1);
  }
  bool gathers_rows() const override { return true; }
};

class Dtsh : public CnnHashModel {
 public:
  using CnnHashModel::CnnHashModel;
  Tensor loss(const TrainBatch& b, int64_t) override {
    return losses::dtsh(b.all_rows(net->forward(b.images)),
                        losses::similarity(b.all_rows(b.labels)), 5, 1);
  }
  bool gathers_rows() const override { return true; }
};
}  // namespace

extern const ModelEntry dpsh_model{.name = "dpsh",
                                   .make = make_model_of<Dpsh>,
                                   .summary =
                                       "DPSH (Li 2016): pairwise likelihood + quantisation, "
                                       "in-batch pairs, hash-layer batch norm"};

extern const ModelEntry dhn_model{
    .name = "dhn",
    .make = [](const ModelConfig& c) -> std::shared_ptr<HashModel> {
      return std::make_shared<BankModel>(c, losses::dhn_bank, 0.1);
    },
    .summary = "DHN (Zhu 2016): pairwise likelihood + log-cosh quantisation, memory bank"};

extern const ModelEntry dsh_model{
    .name = "dsh",
    .make = make_model_of<Dsh>,
    .summary = "DSH (Liu 2016): contrastive pairs with margin 2*bits + |.|-1 regulariser"};

extern const ModelEntry dch_model{.name = "dch",
                                  .make = make_model_of<Dch>,
                                  .summary = "DCH (Cao 2018): Cauchy pairwise loss, gamma 20"};

extern const ModelEntry dtsh_model{
    .name = "dtsh",
    .make = make_model_of<Dtsh>,
    .summary = "DTSH (Wang 2016): triplet likelihood over all in-batch triplets"};

}  // namespace he::zoo
