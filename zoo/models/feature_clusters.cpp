#include "zoo/models/feature_clusters.h"

#include <fmt/format.h>

#include <algorithm>

#include "retrieval/kmeans.h"
#include "zoo/models/models.h"

namespace he::zoo {

namespace {
ModelConfig itq_config(ModelConfig c) {
  c.backbone = c.feature_backbone;  // ITQ's backbone is its feature extractor
  return c;
}
}  // namespace

FeatureClusterer::FeatureClusterer(const ModelConfig& cfg)
    : itq_(make_model("itq", itq_config(cfg))) {}

FeatureClusters FeatureClusterer::fit(const Tensor& images, int64_t k, uint64_t seed) {
  NoGradGuard guard;
  itq_->fit(images);
  std::vector<Tensor> parts;  // encode in batches: the backbone's activations stay small
  const int64_t n = images.size(0), batch = 1000;
  for (int64_t at = 0; at < n; at += batch)
    parts.push_back(itq_->encode(images.narrow(0, at, std::min(batch, n - at))));
  Tensor v = parts.size() == 1 ? parts[0] : concat(parts, 0);
  v = div(v, mean(abs(v)).item<double>()).contiguous();  // sign(v) are the ITQ codes
  const int64_t d = v.size(1);
  retrieval::KMeansOptions o;
  o.k = k, o.seed = seed;
  retrieval::KMeansResult r = retrieval::kmeans(v.data<float>(), n, d, o);
  std::vector<int64_t> sizes(k, 0);
  for (int64_t a : r.assign) ++sizes[a];
  const auto [lo, hi] = std::minmax_element(sizes.begin(), sizes.end());
  FeatureClusters out;
  out.projected = v;
  out.centroids = Tensor::from_vector(r.centroids, {k, d});
  out.assign = Tensor::from_vector(r.assign);
  out.summary = fmt::format(
      "k-means of {} {}-d ITQ projections ({}): {} clusters of {}..{} rows, inertia {:.4g} per "
      "row after {} iterations",
      n, d, backbone() ? "backbone features" : "pixels", k, *lo, *hi, r.inertia / n, r.iterations);
  return out;
}

}  // namespace he::zoo
