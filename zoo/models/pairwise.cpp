// The pairwise-likelihood and contrastive recipes on the small CNN (shared/recipes.md):
//  DPSH (Li, Wang, Kang, 'Feature Learning based Deep Supervised Hashing with Pairwise
//    Labels', IJCAI 2016): in-batch pairs, eta = 0.1, Adam 1e-4 by default (Adam 1e-3
//    collapses it, see issue 7). Its reference code pairs the batch with a memory bank of all
//    training outputs instead; on FM-quick, 64 bits, 3 epochs, Adam 1e-4 that form reached
//    mAP@1000 0.485 against 0.601 in-batch, so the zoo trains in-batch;
//  DHN (Zhu, Long, Wang, Cao, 'Deep Hashing Network for Efficient Similarity Retrieval',
//    AAAI 2016) against the memory bank, as in its reference code, Adam 1e-4 by default;
//  DSH (Liu, Wang, Shan, Chen, 'Deep Supervised Hashing for Fast Image Retrieval', CVPR
//    2016), in-batch pairs, m = 2 bits, alpha = 0.01;
//  DCH (Cao, Long, Liu, Wang, 'Deep Cauchy Hashing for Hamming Space Retrieval', CVPR 2018),
//    in-batch, gamma = 20, lambda = 0.1;
//  DTSH (Wang, Shi, Kitani, 'Deep Supervised Hashing with Triplet Labels', ACCV 2016), all
//    valid in-batch triplets, alpha = 5, lambda = 1.
#include "zoo/models/models.h"

namespace he::zoo {

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
    train_labels_ = register_buffer("train_labels", Tensor::zeros({c.train_size}, DType::i64));
  }
  void begin_training(const Tensor& labels) override { train_labels_.copy_(labels); }
  // The unbalanced likelihood (9 dissimilar pairs in 10) drives Adam 1e-3 into poor codes on
  // FM-quick (mAP@1000 0.22 after one epoch against 0.48 with 1e-4), so these recipes
  // default to Adam 1e-4, closer to their reference optimiser (RMSprop 1e-5).
  double default_lr() const override { return 1e-4; }
  Tensor loss(const TrainBatch& b, int64_t) override {
    Tensor u = net->forward(b.images);
    assign_rows(bank_, b.indices, u);  // u (B,bits) refreshes its rows of the bank (N,bits)
    return loss_(u, bank_, losses::similarity(b.labels, train_labels_), weight_);
  }

 private:
  BankLoss loss_;
  double weight_;
  Tensor bank_, train_labels_;
};

class Dpsh : public CnnHashModel {
 public:
  using CnnHashModel::CnnHashModel;
  double default_lr() const override { return 1e-4; }
  Tensor loss(const TrainBatch& b, int64_t) override {
    return losses::dpsh(net->forward(b.images), losses::similarity(b.labels), 0.1);
  }
};

class Dsh : public CnnHashModel {
 public:
  using CnnHashModel::CnnHashModel;
  Tensor loss(const TrainBatch& b, int64_t) override {
    return losses::dsh(net->forward(b.images), losses::similarity(b.labels), 0.01, 2.0 * cfg.bits);
  }
};

class Dch : public CnnHashModel {
 public:
  using CnnHashModel::CnnHashModel;
  Tensor loss(const TrainBatch& b, int64_t) override {
    return losses::dch(net->forward(b.images), losses::similarity(b.labels), 20, 0.1);
  }
};

class Dtsh : public CnnHashModel {
 public:
  using CnnHashModel::CnnHashModel;
  Tensor loss(const TrainBatch& b, int64_t) override {
    return losses::dtsh(net->forward(b.images), losses::similarity(b.labels), 5, 1);
  }
};
}  // namespace

std::shared_ptr<HashModel> make_dpsh(const ModelConfig& c) { return std::make_shared<Dpsh>(c); }
std::shared_ptr<HashModel> make_dhn(const ModelConfig& c) {
  return std::make_shared<BankModel>(c, losses::dhn_bank, 0.1);
}
std::shared_ptr<HashModel> make_dsh(const ModelConfig& c) { return std::make_shared<Dsh>(c); }
std::shared_ptr<HashModel> make_dch(const ModelConfig& c) { return std::make_shared<Dch>(c); }
std::shared_ptr<HashModel> make_dtsh(const ModelConfig& c) { return std::make_shared<Dtsh>(c); }

}  // namespace he::zoo
