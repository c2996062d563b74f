#pragma once
// The cluster structure of a training set that the pseudo-supervised and variational models
// fit to (recipes.md, 'Autoencoders, variational, unsupervised'): the images' features (the
// normalised pixels, or the penultimate features of a frozen backbone whose weights
// --features loads) are projected by ITQ (Gong et al., TPAMI 2013: PCA to `bits` dims, then
// the learned rotation), and the projections clustered by k-means (retrieval/kmeans.h).
#include "zoo/cnn_model.h"

namespace he::zoo {

struct FeatureClusters {
  Tensor projected;     // (N,bits) f32: the ITQ projections, scaled to mean |v| = 1
  Tensor centroids;     // (K,bits) f32: k-means centroids of the projected rows
  Tensor assign;        // (N) i64: the centroid of each row
  std::string summary;  // for the log: the clusters' sizes and the inertia
};

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
