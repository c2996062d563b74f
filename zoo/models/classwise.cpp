// Recipes that learn from class targets rather than pairs:
//  GreedyHash (Su, Zhang, Han, Tian, 'Greedy Hash: Towards Fast Optimization for Accurate
//    Hash Coding in CNN', NeurIPS 2018): b = sign(u) with the identity straight-through
//    gradient, cross-entropy of a bias-free bits->classes classifier on b, plus
//    alpha * mean(| |u| - 1 |^3), alpha = 0.1; the classifier trains with the same Adam.
//  CSQ (Yuan et al., 'Central Similarity Quantization for Efficient Image and Video
//    Retrieval', CVPR 2020): Hadamard hash centres, BCE towards the label's centre plus
//    lambda * quantisation, lambda = 1e-4.
#include "zoo/models/models.h"

namespace he::zoo {

namespace {
class GreedyHash : public CnnHashModel {
 public:
  explicit GreedyHash(const ModelConfig& c) : CnnHashModel(c) {
    require_class_ids(c, "greedyhash", "a softmax classifier on the codes");
    Generator init(c.seed + 7);
    classifier_ = register_module("classifier",
                                  std::make_shared<nn::Linear>(c.bits, c.num_classes, init, false));
  }
  Tensor loss(const TrainBatch& b, int64_t) override {
    Tensor u = b.all_rows(net->forward(b.images));
    Tensor codes = sign_ste(u, SteGrad::Identity);
    return add(losses::cross_entropy(classifier_->forward(codes), b.all_rows(b.labels)),
               losses::greedy_hash_penalty(u, 0.1));
  }
  bool gathers_rows() const override { return true; }

 private:
  std::shared_ptr<nn::Linear> classifier_;
};

class Csq : public CnnHashModel {
 public:
  explicit Csq(const ModelConfig& c) : CnnHashModel(c) {
    centers_ = register_buffer("centers", losses::hash_centers(c.num_classes, c.bits, c.seed));
  }
  Tensor loss(const TrainBatch& b, int64_t) override {
    return losses::csq(b.all_rows(net->forward(b.images)),
                       losses::centers_for_labels(centers_, b.all_rows(b.labels)), 1e-4);
  }
  bool gathers_rows() const override { return true; }

 private:
  Tensor centers_;
};
}  // namespace

extern const ModelEntry greedyhash_model{
    .name = "greedyhash",
    .make = make_model_of<GreedyHash>,
    .summary = "GreedyHash (Su 2018): sign straight-through + classifier + cubic penalty"};

extern const ModelEntry csq_model{
    .name = "csq",
    .make = make_model_of<Csq>,
    .summary = "CSQ (Yuan 2020): Hadamard hash centres, central similarity"};

}  // namespace he::zoo
