#pragma once
// The cluster structure of a training set that the pseudo-supervised and variational models
// fit to (recipes.md, 'Autoencoders, variational, unsupervised'): the images' features (the
// normalised pixels, or the penultimate features of a frozen backbone whose weights
// --features loads) are projected by ITQ (Gong et al., TPAMI 2013: PCA to `bits` dims, then
// the learned rotation), and the projections clustered by k-means (retrieval/kmeans.h).
#include <algorithm>

#include "zoo/cnn_model.h"

namespace he::zoo {

struct FeatureClusters {
  Tensor projected;     // (N,bits) f32: the ITQ projections, scaled to mean |v| = 1
  Tensor centroids;     // (K,bits) f32: k-means centroids of the projected rows
  Tensor assign;        // (N) i64: the centroid of each row
  std::string summary;  // for the log: the clusters' sizes and the inertia
};

// The number of clusters when --clusters is not given: one per kImagesPerCluster training
// images (1,000 on protocol FM's 60,000; 100 on FM-quick), at least 2. Small clusters of
// close neighbours, not one per class: on protocol FM, 5 epochs, mAP@1000 at 32 / 64 bits,
// pseudo (DPSH) with 20 clusters 0.610 at 64 bits, 100: 0.682 / 0.707, 300: 0.682 / 0.725,
// 1,000: 0.698 / 0.736, 3,000: 0.702 / 0.736 (ITQ 0.666 / 0.695); dvb at 64 bits with 50
// clusters 0.652, 200: 0.690, 1,000: 0.702, 3,000: 0.705 (both on the mlp network).
constexpr int64_t kImagesPerCluster = 60;
inline int64_t default_cluster_count(int64_t train_size) {
  return std::max<int64_t>(2, train_size / kImagesPerCluster);
}

class FeatureClusterer {
 public:
  // Features from cfg.feature_backbone ("" : the pixels), projected to cfg.bits dims.
  explicit FeatureClusterer(const ModelConfig& cfg);
  // images:(N,C,H,W) normalised; k clusters, k-means++ seeded from `seed`.
  FeatureClusters fit(const Tensor& images, int64_t k, uint64_t seed);
  // The frozen feature network (--features loads it); null on pixels.
  Backbone* backbone() { return itq_->backbone(); }

 private:
  std::shared_ptr<HashModel> itq_;  // the zoo's ITQ, fitted on the same features
};

}  // namespace he::zoo
