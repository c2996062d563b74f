// Pseudo-supervised hashing (recipes.md, 'Autoencoders, variational, unsupervised'): k-means
// pseudo-labels on features, then a supervised hashing recipe trained on them as if they
// were the labels. The pseudo-labelling of unlabelled images for deep hashing follows
// Hu, Wang, Zhang, Li & Rui, 'Pseudo Label based Unsupervised Deep Discriminative Hashing
// for Image Retrieval', ACM MM 2017 (k-means on pretrained features, then a label-driven
// loss on the CNN); here the clustered features are the ITQ projections of the pixels or of
// a frozen backbone's features (--features CKPT; feature_clusters.h), k = --clusters.
// The supervised loss (--pseudo-loss) is one of the zoo's in-batch pairwise recipes with
// s_ij = 1 for the same pseudo-label, at its supervised settings (pairwise.cpp):
//   dpsh (Li, Wang & Kang, IJCAI 2016; the zoo's settings, DpshSettings), the default;
//   dsh  (Liu, Wang, Shan & Chen, CVPR 2016; m = 2 bits, alpha 0.01, Adam 1e-3);
//   dch  (Cao, Long, Liu & Wang, CVPR 2018; gamma 20, lambda 0.1, Adam 1e-3);
//   dtsh (Wang, Shi & Kitani, ACCV 2016; alpha 5, lambda 1, Adam 1e-3).
// The pseudo-labels are a buffer (saved with the model); the batch's labels are never read.
#include <fmt/format.h>

#include <stdexcept>

#include "zoo/models/feature_clusters.h"
#include "zoo/models/models.h"

namespace he::zoo {

namespace {
struct PairwiseRecipe {
  const char* name;
  Tensor (*loss)(const Tensor& u, const Tensor& S, int64_t bits);
  double lr;
  bool dpsh_hash_norm = false;  // DPSH's batch norm on the hash layer (DpshSettings)
};
const std::vector<PairwiseRecipe>& recipes() {
  static const std::vector<PairwiseRecipe> r{
      {"dpsh",
       [](const Tensor& u, const Tensor& S, int64_t) {
         return losses::dpsh(u, S, DpshSettings::eta);
       },
       DpshSettings::lr, true},
      {"dsh",
       [](const Tensor& u, const Tensor& S, int64_t bits) {
         return losses::dsh(u, S, 0.01, 2.0 * bits);
       },
       1e-3},
      {"dch", [](const Tensor& u, const Tensor& S, int64_t) { return losses::dch(u, S, 20, 0.1); },
       1e-3},
      {"dtsh", [](const Tensor& u, const Tensor& S, int64_t) { return losses::dtsh(u, S, 5, 1); },
       1e-3},
  };
  return r;
}
std::optional<double> hash_bn_gamma(const PairwiseRecipe& r, int64_t bits) {
  if (!r.dpsh_hash_norm) return std::nullopt;
  return DpshSettings::hash_bn_gamma(bits);
}
const PairwiseRecipe& recipe(const std::string& name) {
  for (const PairwiseRecipe& r : recipes())
    if (name == r.name) return r;
  throw std::invalid_argument(fmt::format("pseudo: unknown --pseudo-loss '{}'; known: {}", name,
                                          fmt::join(pseudo_loss_names(), ", ")));
}

class Pseudo : public CnnHashModel {
 public:
  // Measured on FM-quick, 32 bits, 3 epochs (mAP@1000; ITQ 0.566), with DPSH as it was
  // before DpshSettings (no norm, eta 0.1, Adam 1e-4): 10 clusters 0.444, 15 0.518, 20 0.513
  // (the default), 30 0.504, 50 0.485; Adam 1e-3 0.283 (10 clusters); only the half of
  // each cluster nearest its centroid labelled 0.495. Other recipes: dsh 0.457 (10
  // clusters); with 20 clusters dch 0.527, dtsh 0.555 (30 clusters: 0.548). With
  // DpshSettings, 20 clusters: 0.587 at 32 bits, 0.595 at 64 (ITQ 0.585). Those runs used the
  // small CNN and few clusters; the defaults are now the mlp network (registry.cpp) and one
  // cluster per 60 images (default_cluster_count): protocol FM, 5 epochs, 64 bits, 20 clusters
  // on the small CNN 0.564, on the mlp 0.610; 1,000 clusters on the mlp 0.736.
  explicit Pseudo(const ModelConfig& c)
      : CnnHashModel(c, hash_bn_gamma(recipe(c.pseudo_loss), c.bits)),
        recipe_(recipe(c.pseudo_loss)),
        clusters_(c.clusters > 0 ? c.clusters : default_cluster_count(c.train_size)),
        clusterer_(c) {
    if (clusters_ < 2)
      throw std::invalid_argument(fmt::format("pseudo: --clusters {}: need 2 or more", clusters_));
    labels_ = register_buffer("pseudo_labels", Tensor::full({c.train_size}, -1, DType::i64));
  }
  std::string fit_targets(const Tensor& images) override {
    FeatureClusters f = clusterer_.fit(images, clusters_, cfg.seed);
    labels_.copy_(f.assign);
    return "pseudo-labels: " + f.summary;
  }
  Tensor loss(const TrainBatch& b, int64_t) override {
    Tensor y = index_select(labels_, 0, b.indices);
    for (int64_t v : y.to_vector<int64_t>())
      if (v < 0) throw std::logic_error("pseudo: loss() before fit_targets()");
    return recipe_.loss(output(b.images), losses::similarity(y), cfg.bits);
  }
  double default_lr() const override { return recipe_.lr; }
  Backbone* feature_backbone() override { return clusterer_.backbone(); }

 private:
  const PairwiseRecipe& recipe_;
  int64_t clusters_;
  FeatureClusterer clusterer_;
  Tensor labels_;
};
}  // namespace

std::vector<std::string> pseudo_loss_names() {
  std::vector<std::string> n;
  for (const PairwiseRecipe& r : recipes()) n.push_back(r.name);
  return n;
}

extern const ModelEntry pseudo_model{
    .name = "pseudo",
    .make = make_model_of<Pseudo>,
    .summary =
        "Pseudo-supervised (Hu 2017): k-means pseudo-labels on ITQ projections of the pixels (or "
        "of backbone features: --features), then a supervised pairwise loss (--pseudo-loss, "
        "default DPSH)",
    .clusters = true,
    .backbone = "mlp"};

}  // namespace he::zoo
