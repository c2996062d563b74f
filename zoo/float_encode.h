#pragma once
// Off-the-shelf real-valued descriptors from a backbone, trained or pretrained: its
// penultimate (fc) features, or a global pooling of its last conv map (layers/global_pool.h:
// MAC, SPoC, R-MAC, GeM with p = 3, CroW, NetVLAD), each row L2-normalised. NetVLAD's
// centres come from k-means on the conv map's local descriptors (Arandjelovic 2016 initialise
// them so), as no training sets them here.
#include <string>

#include "engine/data/image_set.h"
#include "zoo/backbones.h"

namespace he::zoo {

struct DescriptorOptions {
  std::string pool;  // "": the penultimate features; else mac|spoc|rmac|gem|crow|netvlad
  int64_t batch = 500;
  int64_t netvlad_clusters = 8;
  uint64_t seed = 0;  // NetVLAD's k-means
};

// The descriptors of every image of `set`, in eval mode and without autograd: (N,D) f32 with
// unit rows (a zero row stays zero). `fit` is the set whose conv maps NetVLAD's centres are
// fitted on (the training images; unused for the other poolings).
Tensor backbone_descriptors(Backbone& net, const data::ImageSet& set, const data::ImageSet& fit,
                            const DescriptorOptions& o);

// NetVLAD's centres (clusters, C): k-means (retrieval/kmeans.h) on the per-position
// descriptors of net.feature_map(images), each L2-normalised as NetVLAD's input is; at most
// `max_descriptors` of them, taken at evenly spaced positions. images:(N,C,H,W) f32,
// normalised as the network's inputs. Eval mode, no autograd.
Tensor netvlad_kmeans_centres(Backbone& net, const Tensor& images, int64_t clusters, uint64_t seed,
                              int64_t max_descriptors = 50000);

}  // namespace he::zoo
