// Metric-learning models with real-valued descriptors of `bits` (--dim) floats, L2-normalised
// and ranked by cosine similarity (HashModel::float_descriptors):
//  siamese: contrastive loss over all in-batch pairs (Hadsell, Chopra, LeCun 2006; with
//    unit descriptors and margin 0.7 as in Radenovic, Tolias, Chum, 'CNN image retrieval
//    learns from BoW', ECCV 2016);
//  triplet: the triplet margin loss, margin 0.2, with semi-hard in-batch mining (Schroff,
//    Kalenichenko, Philbin, 'FaceNet', CVPR 2015). Batch-hard mining (Hermans, Beyer, Leibe,
//    'In defense of the triplet loss for person re-identification', 2017; still in
//    losses::triplet_margin) collapsed here: on protocol FM the mean loss stayed at the margin
//    (0.22 -> 0.19 over 5 epochs) and mAP@1000 was 0.746; on FM-quick it gave 0.661 against
//    semi-hard's 0.804.
//  msloss: the multi-similarity loss (Wang et al. 2019) with its pair mining.
// The descriptor is the backbone's head output (`bits` wide); with --pool, the head reads a
// global pooling of the backbone's conv map instead (layers/global_pool.h):
// L2(Linear(pool(feature_map(x)))), a learned projection after pooling as in Radenovic 2018.
// NetVLAD's centres start from k-means on the conv map's local descriptors of training
// images (fit_targets), as Arandjelovic et al. 2016 initialise them.
#include <fmt/format.h>

#include "losses/metric_learning.h"
#include "zoo/float_encode.h"
#include "zoo/models/models.h"

namespace he::zoo {

namespace {

enum class MetricLoss { Contrastive, SemiHardTriplet, MultiSimilarity };

class MetricModel : public CnnHashModel {
 public:
  MetricModel(const ModelConfig& c, MetricLoss loss) : CnnHashModel(c), loss_(loss) {
    if (!c.pool.empty()) {
      Generator init(c.seed + 7);
      const int64_t channels = net->map_channels();
      pool = register_module("pool", nn::make_global_pool(c.pool, channels, init));
      proj = register_module("proj", std::make_shared<nn::Linear>(
                                         nn::global_pool_dim(c.pool, channels), c.bits, init));
    }
  }
  Tensor encode(const Tensor& x) override {
    Tensor d = pool ? proj->forward(pool->forward(net->feature_map(x))) : net->forward(x);
    return nn::l2_normalize(d, 1);
  }
  bool float_descriptors() const override { return true; }
  std::string fit_targets(const Tensor& images) override {
    auto* vlad = dynamic_cast<nn::NetVladPool*>(pool.get());
    if (!vlad) return "";
    vlad->init_from_centres(netvlad_kmeans_centres(*net, images, vlad->clusters(), cfg.seed + 11));
    return fmt::format("NetVLAD: {} centres by k-means on the conv map of {} training images",
                       vlad->clusters(), images.size(0));
  }
  Tensor loss(const TrainBatch& b, int64_t) override {
    Tensor e = b.all_rows(encode(b.images)), labels = b.all_rows(b.labels);
    switch (loss_) {
      case MetricLoss::Contrastive:
        return losses::contrastive_in_batch(e, labels, 0.7);
      case MetricLoss::SemiHardTriplet:
        return losses::triplet_margin(e, labels, 0.2, losses::TripletMining::SemiHard);
      case MetricLoss::MultiSimilarity:
        return losses::multi_similarity(e, labels);
    }
    throw std::logic_error("MetricModel: unknown loss");
  }
  bool gathers_rows() const override { return true; }
  std::shared_ptr<nn::Module> pool;
  std::shared_ptr<nn::Linear> proj;

 private:
  MetricLoss loss_;
};

}  // namespace

template <MetricLoss L>
std::shared_ptr<HashModel> make_metric_model(const ModelConfig& c) {
  return std::make_shared<MetricModel>(c, L);
}

extern const ModelEntry siamese_model{
    .name = "siamese",
    .make = make_metric_model<MetricLoss::Contrastive>,
    .summary =
        "Siamese (Hadsell 2006, Radenovic 2016): float descriptors (--dim), contrastive "
        "loss with margin 0.7 on in-batch pairs",
    .float_descriptors = true};
extern const ModelEntry triplet_model{
    .name = "triplet",
    .make = make_metric_model<MetricLoss::SemiHardTriplet>,
    .summary =
        "Triplet (FaceNet, Schroff 2015): float descriptors (--dim), triplet loss with semi-hard "
        "in-batch mining, margin 0.2",
    .float_descriptors = true};
extern const ModelEntry msloss_model{
    .name = "msloss",
    .make = make_metric_model<MetricLoss::MultiSimilarity>,
    .summary =
        "Multi-similarity (Wang 2019): float descriptors (--dim), mined pairs weighted by "
        "self- and relative similarity",
    .float_descriptors = true};

}  // namespace he::zoo
