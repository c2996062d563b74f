// The zoo's model table: binary name -> factory and a one-line summary.
#include <fmt/format.h>

#include <stdexcept>

#include "zoo/models/models.h"

namespace he::zoo {

namespace {
struct Entry {
  const char* name;
  std::shared_ptr<HashModel> (*make)(const ModelConfig&);
  const char* summary;
  bool semi_supervised = false;    // learns from the labels of ModelConfig::labelled images
  bool clusters = false;           // fits k-means clusters of features (ModelConfig::clusters)
  const char* backbone = "";       // network without --backbone ("": the small CNN, if it has one)
  bool float_descriptors = false;  // real-valued descriptors ranked by cosine
};
const std::vector<Entry>& table() {
  static const std::vector<Entry> entries{
      {"hashnet", make_hashnet,
       "HashNet (Cao 2017): continuation tanh(beta u), weighted pairwise likelihood"},
      {"dpsh", make_dpsh,
       "DPSH (Li 2016): pairwise likelihood + quantisation, in-batch pairs, hash-layer batch norm"},
      {"dhn", make_dhn, "DHN (Zhu 2016): pairwise likelihood + log-cosh quantisation, memory bank"},
      {"dsh", make_dsh, "DSH (Liu 2016): contrastive pairs with margin 2*bits + |.|-1 regulariser"},
      {"dch", make_dch, "DCH (Cao 2018): Cauchy pairwise loss, gamma 20"},
      {"dtsh", make_dtsh, "DTSH (Wang 2016): triplet likelihood over all in-batch triplets"},
      {"greedyhash", make_greedyhash,
       "GreedyHash (Su 2018): sign straight-through + classifier + cubic penalty"},
      {"csq", make_csq, "CSQ (Yuan 2020): Hadamard hash centres, central similarity"},
      {"dsdh", make_dsdh,
       "DSDH (Li 2017): pairwise likelihood + discrete codes and linear classifier per epoch"},
      {"adsh", make_adsh, "ADSH (Jiang 2018): asymmetric, learns the database codes directly"},
      {"lsh", make_lsh,
       "LSH (Charikar 2002): signs of Gaussian random projections of the pixels (or of backbone "
       "features: --features / --backbone)"},
      {"itq", make_itq,
       "ITQ (Gong 2013): PCA of the pixels (or of backbone features: --features / --backbone) + "
       "iterative quantisation (50 rotations)"},
      {"binae", make_binae,
       "Binary autoencoder (Carreira-Perpinan 2015): sign-STE bottleneck, reconstruction MSE of "
       "the clean input from a corrupted one (denoising, Vincent 2008)"},
      {"tbh", make_tbh,
       "TBH (Shen 2020): twin bottleneck, code-driven graph + GCN, actor/critic with two "
       "discriminators (unsupervised), on the pixels or backbone features (--features)"},
      {"deepbit", make_deepbit,
       "DeepBit (Lin 2016), unsupervised: sigmoid codes, quantisation + even distribution + "
       "decorrelation + rotation invariance",
       false, false, "mlp"},
      {"uth", make_uth,
       "UTH (Huang 2017), unsupervised: triplets (image, a rotated, zoomed and shifted copy, "
       "another image) + quantisation + bit entropy",
       false, false, "mlp"},
      {"greedyhash-u", make_greedyhash_u,
       "GreedyHash (Su 2018), unsupervised: sign straight-through, code cosines fit the "
       "cosines of the centred pixels",
       false, false, "mlp"},
      {"ssdh", make_ssdh,
       "SSDH (Zhang 2017), semi-supervised: ranking triplets on the --labelled images + "
       "neighbour embedding (online k-NN graph) on all",
       true},
      {"bingan", make_bingan,
       "BinGAN (Zieba 2018), unsupervised: the DCGAN discriminator's sign-STE penultimate layer, "
       "distance matching + BRE regularisers, feature-matching generator"},
      {"bgan", make_bgan,
       "BGAN (Song 2018), unsupervised: encoder -> continuation sign code -> generator, "
       "discriminator, content + adversarial + k-NN neighbourhood structure losses"},
      {"pseudo", make_pseudo,
       "Pseudo-supervised (Hu 2017): k-means pseudo-labels on ITQ projections of the pixels (or "
       "of backbone features: --features), then a supervised pairwise loss (--pseudo-loss, "
       "default DPSH)",
       false, true, "mlp"},
      {"dvb", make_dvb,
       "DVB (Shen 2019), unsupervised: Gaussian latent per image, prior centred on k-means "
       "centres of ITQ-projected features; reconstruction + KL + quantisation",
       false, true, "mlp"},
      {"siamese", make_siamese,
       "Siamese (Hadsell 2006, Radenovic 2016): float descriptors (--dim), contrastive loss "
       "with margin 0.7 on in-batch pairs",
       false, false, "", true},
      {"triplet", make_triplet,
       "Triplet (Hermans 2017): float descriptors (--dim), batch-hard triplet loss, margin 0.2",
       false, false, "", true},
      {"msloss", make_msloss,
       "Multi-similarity (Wang 2019): float descriptors (--dim), mined pairs weighted by "
       "self- and relative similarity",
       false, false, "", true},
  };
  return entries;
}
}  // namespace

std::vector<std::string> model_names() {
  std::vector<std::string> n;
  for (const Entry& e : table()) n.push_back(e.name);
  return n;
}

std::shared_ptr<HashModel> make_model(const std::string& name, const ModelConfig& cfg) {
  for (const Entry& e : table())
    if (name == e.name) {
      ModelConfig c = cfg;
      if (c.backbone.empty()) c.backbone = e.backbone;
      return e.make(c);
    }
  throw std::invalid_argument(
      fmt::format("unknown model '{}'; known: {}", name, fmt::join(model_names(), ", ")));
}

bool model_is_semi_supervised(const std::string& name) {
  for (const Entry& e : table())
    if (name == e.name) return e.semi_supervised;
  return false;
}

bool model_fits_clusters(const std::string& name) {
  for (const Entry& e : table())
    if (name == e.name) return e.clusters;
  return false;
}

bool model_has_float_descriptors(const std::string& name) {
  for (const Entry& e : table())
    if (name == e.name) return e.float_descriptors;
  return false;
}

std::string model_default_backbone(const std::string& name) {
  for (const Entry& e : table())
    if (name == e.name) return *e.backbone ? e.backbone : "small";
  return "small";
}

std::string model_summary(const std::string& name) {
  for (const Entry& e : table())
    if (name == e.name) return e.summary;
  return "";
}

}  // namespace he::zoo
