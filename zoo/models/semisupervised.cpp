// Semi-supervised recipe on the small CNN (recipes.md, 'Autoencoders, variational,
// unsupervised'):
//  SSDH (Zhang, Peng, 'SSDH: Semi-supervised Deep Hashing for Large Scale Image Retrieval',
//    IEEE TCSVT 2017): h = sigmoid(u), bit = 1[h >= 1/2] (= sign(u));
//    L = ranking loss of triplets (squared distances of h, margin 0.125 * bits)
//        + embedding loss over all images of the batch: pairs that are k-nearest neighbours
//          in the network's current features (the online graph: cosine, k = 5, symmetrised)
//          are pulled together, the others pushed to at least 0.25 * bits apart. The
//          features are the small CNN's conv features (the 512-d input of its hash layer
//          passes through dropout: 3 epochs below give 0.586 on those instead of 0.621), or
//          another --backbone's penultimate features.
//    The paper draws the triplets inside the mini-batch; with a small labelled share a batch
//    of 128 holds few labelled images (about 21 at 1,000 of 6,000, 11 at 5,000 of 60,000)
//    and fewer triplets, so each labelled image of the batch is an anchor against a bank of
//    the latest codes of every labelled image seen so far (DPSH-style, detached), all
//    positive x negative pairs counted (ranking_triplet_bank_loss).
//    Only ModelConfig::labelled training images, a random subset drawn once from the seed,
//    keep their labels (a buffer, saved with the model); the model reads labels from that
//    buffer by batch index and never from the batch, so no other label reaches it.
#include <algorithm>
#include <stdexcept>

#include "losses/unsupervised.h"
#include "zoo/models/models.h"

namespace he::zoo {

namespace {
class Ssdh : public CnnHashModel {
 public:
  // Measured on FM-quick, 32 bits, 1,000 labelled, 3 epochs (mAP@1000; ITQ 0.566): rank
  // margin 0.25 bits 0.581, 0.5 bits 0.527, 0.125 bits 0.621 (the default), 0.0625 bits
  // 0.616; embedding margin 0.5 bits 0.566; embedding weight 0.3 0.543, 2 0.594 (margin 0.25)
  // and 0.598 (margin 0.125); no embedding term 0.542; in-batch triplets instead of the bank
  // 0.558.
  static constexpr double kRankMargin = 0.125, kEmbedMargin = 0.25;
  static constexpr int64_t kNeighbours = 5;
  explicit Ssdh(const ModelConfig& c)
      : CnnHashModel(c), labelled_(std::min(c.labelled, c.train_size)) {
    require_class_ids(c, "ssdh", "its labelled subset holds class ids");
    labels_ = register_buffer("train_labels", Tensor::full({c.train_size}, -1, DType::i64));
    bank_ = register_buffer("bank", Tensor::zeros({labelled_, c.bits}));
    bank_labels_ = register_buffer("bank_labels", Tensor::full({labelled_}, -1, DType::i64));
  }
  // Keeps the labels of `labelled` images drawn from the seed; -1 for all the others.
  void begin_training(const Tensor& labels) override {
    const int64_t n = labels_.size(0);
    if (labels.numel() != n)
      throw std::invalid_argument("ssdh: " + std::to_string(labels.numel()) +
                                  " training labels for a model of " + std::to_string(n));
    Generator g(cfg.seed + 23);
    std::vector<int64_t> order = Tensor::randperm(n, g).to_vector<int64_t>(),
                         all = labels.to_vector<int64_t>(), kept(n, -1);
    slot_.assign(n, -1);
    for (int64_t i = 0; i < labelled_; ++i) kept[order[i]] = all[order[i]], slot_[order[i]] = i;
    labels_.copy_(Tensor::from_vector(kept));
  }
  Tensor loss(const TrainBatch& b, int64_t) override {
    if (slot_.empty()) throw std::logic_error("ssdh: loss() before begin_training()");
    Tensor graph_feats, h;
    if (auto* small = dynamic_cast<SmallCNN*>(net.get())) {
      // The small CNN's conv features (3136), ahead of the dropout of its fc block.
      graph_feats = small->features->forward(b.images).flatten(1);
      h = sigmoid(small->head->forward(small->fc->forward(graph_feats)));
    } else {
      graph_feats = net->features_of(b.images);  // the head's input
      h = sigmoid(net->head->forward(graph_feats));
    }
    Tensor y = index_select(labels_, 0, b.indices);
    // The batch's labelled images refresh their bank rows, then meet the whole bank.
    std::vector<int64_t> idx = b.indices.to_vector<int64_t>(), yv = y.to_vector<int64_t>(), rows,
                         slots;
    for (size_t i = 0; i < idx.size(); ++i)
      if (yv[i] >= 0) rows.push_back(static_cast<int64_t>(i)), slots.push_back(slot_.at(idx[i]));
    if (!rows.empty()) {
      assign_rows(bank_, Tensor::from_vector(slots),
                  index_select(h.detach(), 0, Tensor::from_vector(rows)));
      int64_t* bank_labels = bank_labels_.data<int64_t>();
      for (size_t i = 0; i < rows.size(); ++i) bank_labels[slots[i]] = yv[rows[i]];
    }
    Tensor w = losses::knn_graph(graph_feats.detach(), kNeighbours);
    Tensor embed = losses::neighbour_embedding_loss(h, w, kEmbedMargin * cfg.bits);
    if (labelled_ == 0) return embed;  // --labelled 0: the embedding alone
    return add(losses::ranking_triplet_bank_loss(h, y, bank_, bank_labels_, kRankMargin * cfg.bits),
               embed);
  }

 private:
  int64_t labelled_;
  Tensor labels_, bank_, bank_labels_;
  std::vector<int64_t> slot_;  // training index -> bank row, -1 for unlabelled images
};
}  // namespace

extern const ModelEntry ssdh_model{
    .name = "ssdh",
    .make = make_model_of<Ssdh>,
    .summary =
        "SSDH (Zhang 2017), semi-supervised: ranking triplets on the --labelled images + "
        "neighbour embedding (online k-NN graph) on all",
    .semi_supervised = true};

}  // namespace he::zoo
