#include "zoo/float_encode.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "retrieval/kmeans.h"
#include "zoo/encode.h"

namespace he::zoo {

namespace {

// The map's per-position descriptors, L2-normalised: (N,C,H,W) -> (N*H*W, C) f32 rows.
std::vector<float> local_descriptors(const Tensor& map) {
  const int64_t n = map.size(0), c = map.size(1);
  Tensor d = nn::l2_normalize(map.reshape({n, c, -1}).transpose(1, 2), 2);  // (N,HW,C)
  d = d.reshape({-1, c}).contiguous().to(DType::f32);
  const float* p = d.data<float>();
  return std::vector<float>(p, p + d.numel());
}

}  // namespace

Tensor netvlad_kmeans_centres(Backbone& net, const Tensor& images, int64_t clusters, uint64_t seed,
                              int64_t max_descriptors) {
  const bool was_training = net.is_training();
  net.eval();
  NoGradGuard guard;
  const int64_t c = net.map_channels(), n = images.size(0);
  std::vector<float> all;
  for (int64_t at = 0; at < n; at += 250) {
    const std::vector<float> part =
        local_descriptors(net.feature_map(images.narrow(0, at, std::min<int64_t>(250, n - at))));
    all.insert(all.end(), part.begin(), part.end());
  }
  net.train(was_training);
  const int64_t total = static_cast<int64_t>(all.size()) / c;
  if (total < clusters)
    throw std::invalid_argument("NetVLAD centres: " + std::to_string(total) +
                                " local descriptors for " + std::to_string(clusters) +
                                " clusters; give more images");
  // Evenly spaced positions keep every image's share when there are too many.
  const int64_t keep = std::min(total, max_descriptors);
  std::vector<float> x(static_cast<size_t>(keep * c));
  for (int64_t i = 0; i < keep; ++i) {
    const int64_t src = i * total / keep;
    std::copy_n(&all[static_cast<size_t>(src * c)], c, &x[static_cast<size_t>(i * c)]);
  }
  retrieval::KMeansOptions ko;
  // Run Lloyd to its fixed point (no point moves) or 200 updates: cheap at this size.
  ko.k = clusters, ko.seed = seed, ko.max_iter = 200, ko.tol = 0;
  const retrieval::KMeansResult km = retrieval::kmeans(x.data(), keep, c, ko);
  return Tensor::from_vector(km.centroids, {clusters, c});
}

Tensor backbone_descriptors(Backbone& net, const data::ImageSet& set, const data::ImageSet& fit,
                            const DescriptorOptions& o) {
  std::shared_ptr<nn::Module> pool;
  if (!o.pool.empty()) {
    Generator gen(o.seed);
    pool = nn::make_global_pool(o.pool, net.map_channels(), gen, o.netvlad_clusters);
    if (auto* vlad = dynamic_cast<nn::NetVladPool*>(pool.get())) {
      const int64_t m = std::min<int64_t>(fit.n, 1000);  // 1000 images: 49k positions on FM
      vlad->init_from_centres(
          netvlad_kmeans_centres(net, images_tensor(fit, 0, m), o.netvlad_clusters, o.seed));
    }
  }
  const bool was_training = net.is_training();
  net.eval();
  NoGradGuard guard;
  std::vector<Tensor> parts;
  for (int64_t at = 0; at < set.n; at += o.batch) {
    const Tensor x = images_tensor(set, at, std::min(o.batch, set.n - at));
    const Tensor d = pool ? pool->forward(net.feature_map(x)) : net.features_of(x);
    parts.push_back(nn::l2_normalize(d, 1));
  }
  net.train(was_training);
  return (parts.size() == 1 ? parts[0] : concat(parts, 0)).contiguous().to(DType::f32);
}

}  // namespace he::zoo
