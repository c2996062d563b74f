#pragma once
// A zoo model: a network whose output u (N,bits) is the real-valued code, plus the loss
// recipe that trains it (shared/recipes.md). Everything a model trains or keeps between
// steps (classifier heads, memory banks, database codes) is a parameter or buffer of the
// model, so one state_dict holds it all and a resumed run continues exactly.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "layers/layers.h"
#include "optim/optim.h"
#include "retrieval/pq_index.h"

namespace he::zoo {

struct ModelConfig {
  int64_t bits = 64;
  int64_t num_classes = 10;
  // Labels are multi-hot rows (N,num_classes) f32 instead of class ids (N) i64: the pairwise
  // recipes count two images as similar when they share a label; recipes that need one class
  // per image refuse such data (require_class_ids).
  bool multi_label = false;
  // The per-channel mean / std the images were normalised with (empty: protocol FM's), which
  // the torchvision backbones undo before normalising with ImageNet's (InputAdapter).
  std::vector<float> data_mean, data_std;
  int64_t train_size = 60000;  // rows of memory banks / learned database codes
  int64_t in_channels = 1, image_size = 28;
  // --backbone: "" for the model's default (the small CNN; pixels for LSH / ITQ), or a name of
  // backbone_names(); input_size: the side the torchvision backbones see (0: their default).
  std::string backbone;
  int64_t input_size = 0;
  double lr = 1e-3;
  uint64_t seed = 0;
  // Semi-supervised models (model_is_semi_supervised): how many training images, drawn once
  // from the seed, keep their labels; the model never sees the others'.
  int64_t labelled = 5000;
  // Models that cluster the training set (pseudo, dvb): the k-means clusters (0: the model's
  // default) and pseudo's supervised loss on the pseudo-labels. feature_backbone: the
  // backbone whose penultimate features pseudo and dvb cluster and tbh encodes ("": the
  // pixels; --features loads its weights).
  int64_t clusters = 0;
  std::string feature_backbone;
  std::string pseudo_loss = "dpsh";
  // Float-descriptor models: the global pooling of the backbone's conv map the descriptor is
  // read from ("": the backbone's own head; mac, spoc, rmac, gem, crow, netvlad).
  std::string pool;
  // Quantised models (model_is_quantised): the product quantiser of the database's codes, m
  // subspaces of 2^pq_nbits codewords (pq_m bytes per item at 8 bits).
  int64_t pq_m = 8;
  int pq_nbits = 8;
};

// One training batch as tensors: images (B,C,H,W) f32, labels (B) i64, indices (B) i64
// (the rows of the training set, for memory-bank recipes). Under data-parallel training the
// tensors are this rank's rows of the global batch, and `split` says which (null: the whole
// batch is here).
struct TrainBatch {
  Tensor images, labels, indices;
  std::shared_ptr<const nn::BatchSplit> split = nullptr;
  // rows:(this rank's rows,...) -> the whole batch's rows (gather_rows), or rows itself when
  // the batch is not split. Models whose loss couples rows (in-batch pairs, memory banks)
  // compute it from all_rows of their outputs, labels and indices (HashModel::gathers_rows).
  Tensor all_rows(const Tensor& rows) const { return split ? nn::gather_rows(rows, *split) : rows; }
};

class Backbone;

// A part of an adversarial model trained by its own optimiser (TBH's critic, a GAN's
// discriminator). The trainer owns it; its state is saved in checkpoints under
// "optimizer_<name>." and its losses under "trainer.losses.<name>".
struct ExtraPart {
  std::string name;  // in the log, loss.svg and the checkpoint; unique, [a-z0-9_]
  std::unique_ptr<optim::Optimizer> optimizer;  // over this part's own parameters
};

class HashModel : public nn::Module {
 public:
  // The real-valued code u (N,bits) of images x; codes are sign(u) with sign(0) = +1.
  virtual Tensor encode(const Tensor& x) = 0;
  // The training loss of one batch at global iteration `iter` (0-based).
  virtual Tensor loss(const TrainBatch& batch, int64_t iter) = 0;
  // Called once before training with the training labels (N) i64.
  virtual void begin_training(const Tensor& train_labels) { (void)train_labels; }
  // Called once before the first step of a fresh run (not on --resume, after --features
  // loaded) with the training images (N,C,H,W), normalised as the batches. Models whose
  // training targets come from the data (k-means pseudo-labels, DVB's priors) fit them here
  // and keep them in buffers; the trainer calls it for the models the registry marks as
  // fitting clusters (model_fits_clusters). Returns a line for the log ("" : nothing to say).
  virtual std::string fit_targets(const Tensor& images) {
    (void)images;
    return "";
  }
  // Called after each epoch (discrete code updates, ...).
  virtual void end_epoch(int64_t epoch) { (void)epoch; }
  // Database codes learned directly (asymmetric models), else nullopt: the database is
  // encoded by the network like the queries.
  virtual std::optional<Tensor> database_codes() const { return std::nullopt; }
  // Closed-form models (LSH, ITQ) are fitted once on the training images (N,C,H,W) instead
  // of trained by gradient steps.
  virtual bool trains_by_gradient() const { return true; }
  virtual void fit(const Tensor& images) { (void)images; }
  // The learning rate used when the user gives none: protocol FM's Adam 1e-3, or the
  // recipe's own where 1e-3 is known to fail (see the model's file).
  virtual double default_lr() const { return 1e-3; }
  // The batch size used when the user gives none: protocol FM's 128, or the recipe's own.
  virtual int64_t default_batch() const { return 128; }
  // The epochs run when the user gives none: 5 (protocol FM's tables), or more where the
  // recipe is known to need them (see the model's file).
  virtual int64_t default_epochs() const { return 5; }
  // The optimiser of the recipe; default: Adam over all parameters (protocol FM).
  virtual std::unique_ptr<optim::Optimizer> make_optimizer(const ModelConfig& cfg);
  // Adversarial training: parts stepped by their own optimisers after the main part (loss()
  // and make_optimizer(), which then covers the main part's parameters only), in this order.
  // In each iteration the trainer takes the parts in turn: it clears every gradient, calls
  // the part's loss (loss() for the main part, extra_loss(k, ...) for extra part k),
  // back-propagates it and steps that part's optimiser alone. A later part's loss may reuse
  // what an earlier part computed on the same batch, but only detached from parameters that
  // have been stepped since (steps update parameters in place). Both simultaneous updates
  // (TBH: every gradient taken before any step) and alternating ones (a GAN that re-runs its
  // generator after the discriminator's step) fit this.
  virtual std::vector<ExtraPart> make_extra_parts(const ModelConfig& cfg) {
    (void)cfg;
    return {};
  }
  virtual Tensor extra_loss(size_t part, const TrainBatch& batch, int64_t iter);
  // The main part's name in the log and plots ("actor" in TBH).
  virtual std::string loss_name() const { return "loss"; }
  // Whether loss() computes the loss of the whole global batch under data-parallel training:
  // it runs its network only on batch.images (this rank's rows, through batch norm and
  // dropout only, which then couple the ranks: layers/batch_split.h) and takes everything
  // else from TrainBatch::all_rows, so N ranks step exactly as one process. Other models
  // train each rank on its own rows (a loss over pairs sees only those, batch norm their
  // statistics) and average the gradients.
  virtual bool gathers_rows() const { return false; }
  // The model's random streams (dropout, sampling), saved in checkpoints for exact resume.
  virtual std::vector<std::pair<std::string, Generator*>> generators() { return {}; }
  // The network that --pretrained weights load into (the CNN, or the feature extractor of
  // LSH / ITQ on features); null when the model has none.
  virtual Backbone* backbone() { return nullptr; }
  // The frozen network whose penultimate features the model fits on, which --features loads
  // (LSH / ITQ on features: their backbone; pseudo / dvb: the network of their k-means; tbh:
  // the network its autoencoder reads);
  // null when the model fits on no features.
  virtual Backbone* feature_backbone() { return trains_by_gradient() ? nullptr : backbone(); }
  // Whether encode() gives real-valued descriptors (L2-normalised, ranked by cosine
  // similarity: the metric-learning models) instead of codes to take the sign of.
  virtual bool float_descriptors() const { return false; }
  // The spatial attention of images x (N,C,H,W): (N,1,h,w) in [0,1] on the feature map's
  // grid, which `search --overlay` draws over each image; nullopt for models without one.
  virtual std::optional<Tensor> attention_maps(const Tensor& x) {
    (void)x;
    return std::nullopt;
  }
  // Quantised models: the product quantiser (with an OPQ rotation or none) that codes the
  // database's descriptors (encode_database) as PQ codes, ranked by asymmetric distance to the
  // queries' encode(); nullopt for the others. The index holds no codes yet.
  virtual std::optional<retrieval::PqIndex> quantizer() const { return std::nullopt; }
  // The descriptors the database is coded from: encode() for most; DPQ's queries are soft
  // reconstructions while its database is the network's output, coded by nearest codewords.
  virtual Tensor encode_database(const Tensor& x) { return encode(x); }
  // Scalars the model reports in the log (e.g. the continuation beta).
  virtual std::map<std::string, double> log_values() const { return {}; }
};

// A model's row of the registry (zoo/registry.cpp). The file of zoo/models/ that holds the
// model defines it, `extern const ModelEntry <name>_model{.name = ..., ...}`, and one line of
// the registry names it; the build makes a binary for each .name it finds in zoo/models/.
struct ModelEntry {
  const char* name;  // the binary's name
  std::shared_ptr<HashModel> (*make)(const ModelConfig&);
  const char* summary;             // one line for --help: the paper and the loss
  bool semi_supervised = false;    // learns from the labels of ModelConfig::labelled images
  bool clusters = false;           // fits k-means clusters of features (ModelConfig::clusters)
  const char* backbone = "";       // network without --backbone ("": the small CNN, if it has one)
  bool float_descriptors = false;  // real-valued descriptors ranked by cosine (--dim, --pool)
  bool quantised = false;          // PQ codes ranked by asymmetric distance (--m, --nbits)
};
// The factory of a model class constructed from a ModelConfig alone.
template <class M>
std::shared_ptr<HashModel> make_model_of(const ModelConfig& c) {
  return std::make_shared<M>(c);
}

// Every model of the zoo by binary name ("hashnet", "dpsh", ...).
std::vector<std::string> model_names();
// Throws std::invalid_argument listing the known names for an unknown one.
std::shared_ptr<HashModel> make_model(const std::string& name, const ModelConfig& cfg);
// The network a model builds when --backbone is not given: "small" (the small CNN) for most,
// "mlp" for pseudo, dvb, greedyhash-u, deepbit and uth; make_model applies it.
std::string model_default_backbone(const std::string& name);
// One line per model: its paper and loss, for --help.
std::string model_summary(const std::string& name);
// Whether the model learns from the labels of a subset only (ModelConfig::labelled, the
// --labelled flag); false for an unknown name.
bool model_is_semi_supervised(const std::string& name);
// Whether the model fits k-means clusters of features before training (ModelConfig::clusters,
// the --clusters flag); false for an unknown name.
bool model_fits_clusters(const std::string& name);
// Whether the model's descriptors are real-valued (HashModel::float_descriptors; --dim and
// --pool apply); false for an unknown name.
bool model_has_float_descriptors(const std::string& name);
// Whether the model codes its database with a product quantiser (HashModel::quantizer; --m
// and --nbits apply); false for an unknown name.
bool model_is_quantised(const std::string& name);
// The supervised losses pseudo trains on its pseudo-labels (--pseudo-loss).
std::vector<std::string> pseudo_loss_names();

}  // namespace he::zoo
