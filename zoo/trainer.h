#pragma once
// The shared trainer of every zoo model: epochs over protocol FM (shared/protocol.md) with a
// progress bar, a checkpoint per epoch (safetensors, atomic), exact --resume, evaluation,
// and the run directory a user keeps:
//   checkpoint.safetensors  metrics.json  db_codes.npy  query_codes.npy  db_labels.npy
//   query_labels.npy  loss.svg  pr.svg  train.log
#include <cstdint>
#include <string>

#include "engine/data/datasets.h"
#include "retrieval/metrics.h"
#include "zoo/model.h"

namespace he::zoo {

struct TrainOptions {
  std::string model = "hashnet";
  std::string data = "fashion-mnist";  // a --data SPEC (engine/data/data_spec.h)
  std::string protocol;                // cifar10:DIR only: cifar10, cifar10-1 or cifar10-2
  bool skip_bad_images = false;        // list / folder: leave out images that fail to decode
  int64_t bits = 64;
  int64_t epochs = 0;  // 0: the model's default_epochs() (5 for most)
  int64_t batch = 0;   // 0: the model's default_batch() (protocol FM: 128)
  double lr = 0;       // 0: the model's default_lr() (protocol FM: Adam 1e-3)
  uint64_t seed = 0;
  int64_t labelled = 5000;  // semi-supervised models only: training images that keep labels
  int64_t clusters = 0;     // pseudo, dvb only: k-means clusters (0: the model's default)
  std::string pseudo_loss = "dpsh";  // pseudo only: the supervised loss on its pseudo-labels
  std::string pool;  // float-descriptor models: global pooling of the conv map ("": the head)
  int64_t pq_m = 8;  // quantised models: PQ subspaces (bytes per item at 8 bits)
  int pq_nbits = 8;  // quantised models: bits per subspace code (8 or 4)
  int threads = 2;
  bool quick = false;      // FM-quick: 6,000 train/database images, 1,000 queries
  std::string out;         // default runs/<model>-<bits>
  bool resume = false;     // continue from <out>/checkpoint.safetensors
  bool overwrite = false;  // replace the run in <out> (once this one has a checkpoint)
  int64_t eval_every = 0;  // also evaluate every N epochs (0: only at the end)
  int64_t k = 0;           // mAP@k, P@k; 0: the data set's default (zoo/dataset.h)
  bool skip_nonfinite =
      false;  // skip a step with a non-finite loss or gradient instead of stopping
  int64_t stop_after_iters = -1;  // stop (with a checkpoint) after this many iterations (tests)
  bool quiet = false;
  std::string device = "cpu";
  // Backbone (zoo/backbones.h): "" for the model's default (the small CNN; pixels for LSH and
  // ITQ); the side the torchvision backbones see (0: their default); torchvision-named
  // safetensors weights to start from; for LSH / ITQ, a CNN zoo checkpoint whose backbone's
  // penultimate features they fit on (its backbone and input size replace these).
  std::string backbone;
  int64_t input_size = 0;
  std::string pretrained, features;
};

struct RunSummary {
  retrieval::EvalResult eval;
  double train_images_per_s = 0;
  double seconds = 0;
  int64_t iterations = 0;
  bool finished = false;  // false when stopped early (SIGINT or stop_after_iters)
};

// One training iteration on `batch`: for the main part and then each extra part in order
// (HashModel::make_extra_parts), clear every gradient, compute the part's loss, back-propagate
// it and step the part's optimiser. A part whose loss or gradient is not finite is not
// stepped, and neither are the parts after it; `problem` then says what and where. On a
// split batch (rank_slice) the losses are the means over ranks and the gradients are
// averaged over ranks before each step.
struct StepResult {
  std::vector<double> losses;  // the losses computed, main part first
  std::string problem;         // empty when every part stepped
};
StepResult train_step(HashModel& model, optim::Optimizer& main, std::vector<ExtraPart>& extra,
                      const TrainBatch& batch, int64_t iter);

// While a run trains, SIGINT only sets interrupted(): the loop finishes its step, writes a
// checkpoint and returns. The handler from before is restored however the guard's scope ends,
// a throw included.
class SigintGuard {
 public:
  SigintGuard();
  ~SigintGuard();
  SigintGuard(const SigintGuard&) = delete;
  SigintGuard& operator=(const SigintGuard&) = delete;
  bool interrupted() const;

 private:
  void (*previous_)(int) = nullptr;
};

// The configuration a run with options `o` builds its model from: the training split decides
// the classes, channels, image size, normalisation and the sizes of memory banks and learned
// database codes. Loading a checkpoint rebuilds the model from the same configuration.
ModelConfig model_config(const TrainOptions& o, const data::RetrievalSplit& split);

// Trains (or resumes) and evaluates; writes the run directory, which it locks (run_dir.h).
// Throws on bad options/data, and before any work when the directory is in use or holds a run
// that neither --resume nor --overwrite names.
RunSummary train(const TrainOptions& opt);

// Re-encodes and re-evaluates the checkpoint of a run on the data it recorded (or on
// `data_spec` when given); rewrites metrics.json, the codes and pr.svg beside it, with the
// run's folder locked. k = 0: the data set's default.
RunSummary evaluate_checkpoint(const std::string& ckpt_path, int64_t k = 0,
                               bool quick_override = false, int threads = 2,
                               const std::string& data_spec = "");

}  // namespace he::zoo
