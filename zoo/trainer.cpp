#include "zoo/trainer.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <optional>

#include "engine/data/datasets.h"
#include "engine/data/loader.h"
#include "engine/dist/comm.h"
#include "kernels/blas.h"
#include "retrieval/index.h"
#include "zoo/checkpoint.h"
#include "zoo/data_parallel.h"
#include "zoo/dataset.h"
#include "zoo/encode.h"
#include "zoo/float_report.h"
#include "zoo/quant_report.h"
#include "zoo/report.h"
#include "zoo/run_dir.h"
#include "zoo/weights.h"

namespace he::zoo {

namespace {
using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Set by SIGINT: the one process-wide flag a signal handler can touch. The loop finishes the
// current step, writes a checkpoint and returns.
std::atomic<bool> g_interrupted{false};
void on_sigint(int) { g_interrupted.store(true); }
}  // namespace

SigintGuard::SigintGuard() {
  g_interrupted.store(false);
  previous_ = std::signal(SIGINT, on_sigint);
}
SigintGuard::~SigintGuard() { std::signal(SIGINT, previous_); }
bool SigintGuard::interrupted() const { return g_interrupted.load(); }

ModelConfig model_config(const TrainOptions& o, const data::RetrievalSplit& split) {
  ModelConfig c;
  c.bits = o.bits;
  c.num_classes = split.train.num_classes;
  c.multi_label = split.train.multi_label();
  c.data_mean = split.train.mean, c.data_std = split.train.std;
  c.train_size = split.train.n;
  c.in_channels = split.train.c;
  c.image_size = split.train.h;
  c.lr = o.lr;
  c.seed = o.seed;
  c.backbone = o.backbone;
  c.input_size = o.input_size;
  c.labelled = o.labelled;
  c.clusters = o.clusters;
  c.pseudo_loss = o.pseudo_loss;
  c.pool = o.pool;
  c.pq_m = o.pq_m, c.pq_nbits = o.pq_nbits;
  if (!o.features.empty()) c.feature_backbone = o.backbone;  // resolve_feature_source's
  return c;
}

namespace {

// Prints to stdout and appends to train.log.
class Log {
 public:
  Log(const std::string& path, bool quiet)
      : file_(path, std::ios::app), quiet_(quiet), tty_(isatty(1)) {}
  void line(const std::string& s) {
    if (!quiet_) fmt::print("{}{}\n", tty_ && bar_ ? "\r\33[2K" : "", s);
    bar_ = false;
    if (!quiet_) std::fflush(stdout);
    file_ << s << "\n";
    file_.flush();
  }
  // A live progress bar on a terminal; plain lines every `plain_every` steps otherwise.
  void progress(const std::string& s, bool plain_due) {
    if (quiet_) return;
    if (tty_) {
      fmt::print("\r\33[2K{}", s);
      std::fflush(stdout);
      bar_ = true;
    } else if (plain_due) {
      line(s);
    }
  }

 private:
  std::ofstream file_;
  bool quiet_, tty_, bar_ = false;
};

std::string eta(double s) {
  int t = static_cast<int>(s);
  return fmt::format("{}:{:02d}:{:02d}", t / 3600, t / 60 % 60, t % 60);
}

// "bit balance min 0.48 max 0.53 (0 of 64 bits outside [0.3, 0.7])" of the database codes.
std::string balance_line(const std::vector<double>& b) {
  if (b.empty()) return "";
  const auto [lo, hi] = std::minmax_element(b.begin(), b.end());
  const auto off = std::count_if(b.begin(), b.end(), [](double v) { return v < 0.3 || v > 0.7; });
  return fmt::format(
      "bit balance (fraction of +1 per database bit) min {:.3f} max {:.3f} ({} of {} "
      "bits outside [0.3, 0.7])",
      *lo, *hi, off, b.size());
}

// The labels of `set` as db_labels.npy / query_labels.npy: (N) i64 or (N,C) u8 multi-hot.
void write_set_labels(const std::string& path, const data::ImageSet& set) {
  if (set.multi_label())
    write_multi_hot_npy(path, set.multi_hot, set.num_classes);
  else
    write_labels_npy(path, set.labels);
}

// What an evaluation ranks: the outputs of the database images (or the model's learned
// database codes) and of the queries. Under mpirun every rank calls this and encodes its share
// of the images (encode_set_sharded); every rank gets all rows.
struct EvalOutputs {
  Tensor database, query;
};
EvalOutputs encode_for_eval(HashModel& model, const data::RetrievalSplit& split) {
  dist::World& world = dist::World::get();
  Tensor db_u = model.database_codes().value_or(Tensor());
  // Quantised models code their database from encode_database (DPQ's differs from encode).
  Tensor db = db_u.defined() ? db_u
                             : encode_set_sharded(model, split.database, world, 1000,
                                                  model.quantizer().has_value());
  return EvalOutputs{db, encode_set_sharded(model, split.query, world)};
}

// Evaluates the outputs, writes metrics.json, codes, labels and pr.svg. `balance` (if given)
// gets the database codes' bit balance.
retrieval::EvalResult evaluate_and_write(HashModel& model, const EvalOutputs& out,
                                         const data::RetrievalSplit& split, const std::string& dir,
                                         const RunInfo& info, int64_t k, int threads,
                                         std::vector<double>* balance = nullptr) {
  if (model.float_descriptors())
    return evaluate_float_and_write(out.database, out.query, split, dir, info, k, threads);
  if (model.quantizer())
    return evaluate_quantised_and_write(model, out.database, out.query, split, dir, info, k,
                                        threads);
  retrieval::PackedCodes db = pack(out.database);
  retrieval::PackedCodes q = pack(out.query);
  retrieval::EvalOptions eo;
  eo.k = static_cast<size_t>(k);
  eo.threads = threads;
  retrieval::EvalResult r = retrieval::evaluate_hamming(db, retrieval_labels(split.database), q,
                                                        retrieval_labels(split.query), eo);
  const std::vector<double> bits_on = retrieval::bit_balance(db);
  if (balance) *balance = bits_on;
  write_text_atomic(dir + "/metrics.json", metrics_json(r, info, bits_on));
  write_codes_npy(dir + "/db_codes.npy", db);
  write_codes_npy(dir + "/query_codes.npy", q);
  write_set_labels(dir + "/db_labels.npy", split.database);
  write_set_labels(dir + "/query_labels.npy", split.query);
  write_text_atomic(dir + "/pr.svg",
                    retrieval::pr_curve_svg(r, fmt::format("{} {} bits: precision-recall over "
                                                           "Hamming radius",
                                                           info.model, info.bits)));
  return r;
}

// The state_dict name of `p` (optimiser groups need not follow the model's order).
std::string parameter_name(const HashModel& model, const Tensor& p) {
  for (const auto& [name, t] : model.named_parameters())
    if (t.impl() == p.impl()) return name;
  return "<unnamed parameter>";
}

std::string eval_line(const retrieval::EvalResult& r) {
  if (r.bits == 0)  // float descriptors: no Hamming radius
    return fmt::format("map@{} {:.4f}  map@all {:.4f}  p@{} {:.4f}", r.k, r.map_k, r.map_all, r.k,
                       r.p_k);
  return fmt::format("map@{} {:.4f}  map@all {:.4f}  p@{} {:.4f}  p@r2 {:.4f}", r.k, r.map_k,
                     r.map_all, r.k, r.p_k, r.p_r2);
}
}  // namespace

namespace {
// While a step of a model that gathers rows runs on a split batch, its batch norms and
// dropouts couple the ranks' rows; afterwards (evaluation, encoding) they see whole batches.
class SplitLayers {
 public:
  SplitLayers(HashModel& model, const TrainBatch& batch) : model_(model) {
    if (batch.split && model.gathers_rows()) {
      nn::set_batch_split(model, batch.split);
      set_ = true;
    }
  }
  ~SplitLayers() {
    if (set_) nn::set_batch_split(model_, nullptr);
  }
  SplitLayers(const SplitLayers&) = delete;
  SplitLayers& operator=(const SplitLayers&) = delete;

 private:
  HashModel& model_;
  bool set_ = false;
};
}  // namespace

StepResult train_step(HashModel& model, optim::Optimizer& main, std::vector<ExtraPart>& extra,
                      const TrainBatch& batch, int64_t iter) {
  StepResult r;
  SplitLayers split_layers(model, batch);
  auto clear_all = [&] {
    main.zero_grad();
    for (ExtraPart& p : extra) p.optimizer->zero_grad();
  };
  for (size_t k = 0; k <= extra.size(); ++k) {
    optim::Optimizer& opt = k == 0 ? main : *extra[k - 1].optimizer;
    const std::string part = k == 0 ? model.loss_name() : extra[k - 1].name;
    clear_all();
    Tensor loss = k == 0 ? model.loss(batch, iter) : model.extra_loss(k - 1, batch, iter);
    // On a split batch: the mean over ranks, so every rank logs it and stops on it alike.
    double v = loss.item<double>();
    if (batch.split) v = mean_over_ranks(v, *batch.split);
    r.losses.push_back(v);
    if (!std::isfinite(v)) {
      r.problem = fmt::format("the {} loss is {}", part, v);
      break;
    }
    loss.backward();
    auto params = optim::all_params(opt.groups());
    if (batch.split) average_gradients(params, *batch.split);
    const int64_t bad = optim::first_nonfinite_grad(params);
    if (bad >= 0) {
      r.problem = fmt::format("the gradient of '{}' ({} loss) is not finite",
                              parameter_name(model, params[bad]), part);
      break;
    }
    opt.step();
  }
  clear_all();  // no gradient outlives the step
  return r;
}

namespace {
// Everything one train() call works on.
struct Run {
  TrainOptions o;
  std::string dir, ckpt;
  Clock::time_point wall_start, wall_mark;
  ReplacedRun replaced;  // --overwrite: the old run, until this one's first checkpoint
  Log log;
  data::LoadedData data;  // --data, loaded before the run folder was touched
  const data::RetrievalSplit& split;
  bool default_network = false;  // the model's own network (no --backbone given)
  ModelConfig cfg;
  std::shared_ptr<HashModel> model;
  std::unique_ptr<optim::Optimizer> opt;
  std::vector<ExtraPart> extra;
  RunPosition pos;
  // Under mpirun, rank 0 alone writes the log, the progress bar, checkpoints and results.
  bool writer = true;

  Run(const TrainOptions& opt_in, const std::string& run_dir, data::LoadedData loaded)
      : o(opt_in),
        dir(run_dir),
        ckpt(run_dir + "/checkpoint.safetensors"),
        wall_start(Clock::now()),
        wall_mark(wall_start),
        replaced(run_dir, opt_in.overwrite && dist::World::get().is_root()),
        log(dist::World::get().is_root() ? replaced.log_path() : "/dev/null",
            opt_in.quiet || !dist::World::get().is_root()),
        data(std::move(loaded)),
        split(data.split),
        writer(dist::World::get().is_root()) {}

  void save() {
    if (!writer) return;
    save_checkpoint(ckpt, *model, *opt, o, pos, extra);
    replaced.new_checkpoint_written();
  }
};

// The data line of the log (k resolved: the data set's default when not given), the cache
// used and the images --skip-bad-images left out.
void log_data(Run& r) {
  const bool default_k = r.o.k == 0;
  r.o.k = resolve_k(r.o.k, r.data);
  r.log.line(data_summary(r.o, r.data, default_k));
  for (const std::string& note : r.data.cache_notes) r.log.line(note);
  for (const std::string& f : r.data.skipped_files) r.log.line("skipped (--skip-bad-images): " + f);
  if (!r.data.skipped_files.empty())
    r.log.line(fmt::format("{} images skipped", r.data.skipped_files.size()));
}

// The model, its optimisers and the options its recipe fills in (lr, batch, epochs).
void build_model(Run& r) {
  TrainOptions& o = r.o;
  resolve_feature_source(o);
  // The model's default network is recorded in the run's options when it is not the small
  // CNN, so that the checkpoint names what it holds (options_from_json).
  r.default_network = o.backbone.empty();
  if (r.default_network && model_default_backbone(o.model) != "small")
    o.backbone = model_default_backbone(o.model);
  r.cfg = model_config(o, r.split);
  r.model = make_model(o.model, r.cfg);
  if (o.lr <= 0) o.lr = r.model->default_lr();  // no --lr: the recipe's default
  if (o.batch <= 0) o.batch = r.model->default_batch();
  if (o.epochs < 0)
    throw std::invalid_argument(
        fmt::format("--epochs {}: give a positive count, or none for the model's default ({})",
                    o.epochs, r.model->default_epochs()));
  if (o.epochs == 0) o.epochs = r.model->default_epochs();
  r.cfg.lr = o.lr;
  r.model->begin_training(labels_tensor(r.split.train));
  r.opt = r.model->make_optimizer(r.cfg);
  r.extra = r.model->make_extra_parts(r.cfg);
}

// --resume: the position, weights and optimiser states of the run's newest readable
// checkpoint, which must have been written under the same run-defining options.
void resume(Run& r) {
  const TrainOptions& o = r.o;
  if (!std::filesystem::exists(r.ckpt) &&
      !std::filesystem::exists(previous_checkpoint_path(r.ckpt)))
    throw std::runtime_error("--resume: no checkpoint at " + r.ckpt);
  std::string used, skipped;
  SafetensorsFile file = read_checkpoint_or_previous(r.ckpt, &used, &skipped);
  if (!skipped.empty())
    r.log.line(
        fmt::format("--resume: skipping the newest checkpoint ({}); using {}", skipped, used));
  TrainOptions saved = options_from_json(file.metadata.at("options"));
  const std::string saved_id = run_identity_json(saved), id = run_identity_json(o);
  if (saved_id != id)
    throw std::runtime_error(fmt::format(
        "--resume: {} was written by a different run ({}); this run has {}", used, saved_id, id));
  if (saved.threads != o.threads)
    r.log.line(fmt::format(
        "--resume: the run used --threads {}, this one {}: the continuation is exact only with "
        "the same thread count",
        saved.threads, o.threads));
  r.pos = load_checkpoint(file, *r.model, r.opt.get(), &r.extra);
  r.log.line(fmt::format("resumed {} at epoch {} batch {} (iteration {})", used, r.pos.epoch + 1,
                         r.pos.batch, r.pos.iteration));
}

// A fresh run: logs its settings, loads --pretrained / --features weights and fits the
// targets that come from the data.
void start(Run& r) {
  const TrainOptions& o = r.o;
  const data::ImageSet& train = r.split.train;
  r.log.line(fmt::format(
      "{}: {}  bits {}  epochs {}  batch {}  Adam lr {}  seed {}  threads {}  train {}{}  "
      "queries {}",
      o.model, model_summary(o.model), o.bits, o.epochs, o.batch, o.lr, o.seed, o.threads, train.n,
      model_is_semi_supervised(o.model)
          ? fmt::format(" ({} labelled)", std::min(o.labelled, train.n))
          : "",
      r.split.query.n));
  const kernels::cpu::BlasCore& blas = kernels::cpu::blas_core();
  if (!blas.note.empty()) r.log.line(fmt::format("OpenBLAS kernels {} ({})", blas.name, blas.note));
  if (!o.backbone.empty() || r.model->backbone())
    r.log.line(fmt::format("backbone {}{}{}", o.backbone.empty() ? "small" : o.backbone,
                           o.input_size ? fmt::format(", input size {}", o.input_size) : "",
                           r.default_network ? " (the model's default)" : ""));
  const std::string loaded = load_backbone_weights(o, *r.model);
  if (!loaded.empty()) r.log.line(loaded);
  // Fixed targets from the data (pseudo-labels, priors). Only the models that have them get
  // the whole training set as one tensor (188 MB for Fashion-MNIST), not every model; NetVLAD's
  // k-means centres take the first 1,000 images (49,000 local descriptors on Fashion-MNIST).
  const bool netvlad = model_has_float_descriptors(o.model) && o.pool == "netvlad";
  if (model_fits_clusters(o.model) || netvlad) {
    const auto t0 = Clock::now();
    const int64_t m = netvlad ? std::min<int64_t>(train.n, 1000) : train.n;
    const std::string fitted = r.model->fit_targets(images_tensor(train, 0, m));
    if (!fitted.empty()) r.log.line(fmt::format("{} ({:.1f} s)", fitted, since(t0)));
  }
}

// LSH / ITQ: fitted once, in closed form, then checkpointed as a finished run.
void fit_closed_form(Run& r) {
  if (r.model->trains_by_gradient() || r.pos.epoch >= r.o.epochs) return;
  const auto t0 = Clock::now();
  r.model->fit(images_tensor(r.split.train, 0, r.split.train.n));
  r.pos.compute_seconds = since(t0), r.pos.timed_images = r.split.train.n, r.pos.epoch = r.o.epochs;
  r.save();
  r.log.line(fmt::format("fitted in closed form on {} images in {:.1f} s, checkpoint {}",
                         r.split.train.n, r.pos.compute_seconds, r.ckpt));
}

// The sums behind an epoch's log line.
struct EpochLosses {
  double main = 0;
  std::vector<double> parts;  // per extra part
  int64_t steps = 0;
};

// Records one step's losses and timing in the run's position and the epoch's sums. A step
// that stopped on a non-finite loss or gradient ends the run, or with --skip-nonfinite is
// only logged.
void record_step(Run& r, StepResult& step, int64_t epoch, int64_t images, double dt,
                 EpochLosses& sums) {
  const int64_t warmup = 10;  // steps excluded from the throughput (protocol.md)
  RunPosition& pos = r.pos;
  // A non-finite loss or gradient stops the run before the step touches the weights (the
  // last checkpoint stays good), or with --skip-nonfinite skips just this step.
  if (!step.problem.empty()) {
    const std::string where =
        fmt::format("iteration {} (epoch {}, batch {})", pos.iteration, epoch + 1, pos.batch);
    if (!r.o.skip_nonfinite)
      throw std::runtime_error(
          fmt::format("{}: {}; the last good checkpoint is {} (use --skip-nonfinite to "
                      "skip such steps)",
                      where, step.problem, r.ckpt));
    r.log.line(fmt::format("{}: {}; step skipped", where, step.problem));
  }
  // Parts not reached this step log NaN (the plots skip it).
  step.losses.resize(1 + r.extra.size(), std::nan(""));
  const double lv = step.losses[0];
  if (pos.iteration >= warmup || r.o.resume) pos.compute_seconds += dt, pos.timed_images += images;
  pos.losses.push_back(static_cast<float>(lv));
  for (size_t k = 0; k < r.extra.size(); ++k) {
    pos.part_losses[r.extra[k].name].push_back(static_cast<float>(step.losses[k + 1]));
    if (std::isfinite(step.losses[k + 1])) sums.parts[k] += step.losses[k + 1];
  }
  pos.iteration++, pos.batch++, sums.steps++;
  sums.main += std::isfinite(lv) ? lv : 0;
}

// "epoch 2/5 [40/47] loss 0.1234  critic 0.5  beta 1.2  830 img/s  ETA 0:00:03"
std::string progress_line(const Run& r, const StepResult& step, int64_t epoch, int64_t per_epoch,
                          double epoch_seconds, int64_t epoch_steps) {
  const RunPosition& pos = r.pos;
  const double ips = pos.compute_seconds > 0 ? pos.timed_images / pos.compute_seconds : 0;
  const double left = epoch_seconds / epoch_steps * (per_epoch - pos.batch);
  std::string values = fmt::format("{} {:.4f}", r.model->loss_name(), step.losses[0]);
  for (size_t k = 0; k < r.extra.size(); ++k)
    values += fmt::format("  {} {:.4f}", r.extra[k].name, step.losses[k + 1]);
  for (auto& [k, v] : r.model->log_values()) values += fmt::format("  {} {:.3f}", k, v);
  return fmt::format("epoch {}/{} [{}/{}] {}  {:.0f} img/s  ETA {}", epoch + 1, r.o.epochs,
                     pos.batch, per_epoch, values, ips, eta(left));
}

// The end of an epoch (or of an interrupted one): the checkpoint, the epoch's line and, when
// --eval-every says so, an evaluation.
void end_epoch(Run& r, int64_t epoch, bool stopped, const EpochLosses& sums) {
  const TrainOptions& o = r.o;
  if (!stopped) {
    r.model->end_epoch(epoch);
    r.pos.epoch = epoch + 1;
    r.pos.batch = 0;
  }
  r.pos.wall_seconds += since(r.wall_mark);  // this process's time since the last checkpoint
  r.wall_mark = Clock::now();
  r.save();
  std::string means = fmt::format("mean {} {:.4f}", r.model->loss_name(),
                                  sums.steps ? sums.main / sums.steps : 0.0);
  for (size_t k = 0; k < r.extra.size(); ++k)
    means +=
        fmt::format(", {} {:.4f}", r.extra[k].name, sums.steps ? sums.parts[k] / sums.steps : 0.0);
  r.log.line(fmt::format("epoch {}/{}{}: {}, checkpoint {}", epoch + 1, o.epochs,
                         stopped ? " (interrupted)" : "", means, r.ckpt));
  if (!stopped && o.eval_every > 0 && (epoch + 1) % o.eval_every == 0 && epoch + 1 < o.epochs) {
    const EvalOutputs out = encode_for_eval(*r.model, r.split);  // every rank its share
    if (r.writer) {
      RunInfo info{o.model, o.bits, epoch + 1, 0, 0, o.quick, o.data, o.protocol};
      std::vector<double> balance;
      r.log.line(fmt::format("eval after epoch {}: {}", epoch + 1,
                             eval_line(evaluate_and_write(*r.model, out, r.split, r.dir, info, o.k,
                                                          o.threads, &balance))));
      r.log.line(balance_line(balance));
    }
    r.model->train();
  }
}

// The epochs from the run's position on; false when stopped early (SIGINT, --stop-after).
bool train_epochs(Run& r) {
  const TrainOptions& o = r.o;
  data::LoaderOptions lo;
  lo.batch_size = o.batch;
  lo.seed = o.seed;
  lo.workers = r.data.resized ? std::max(1, o.threads) : 1;  // augmenting takes more than one
  lo.transform = training_transform(r.data);
  data::Loader loader(r.split.train, lo);
  const int64_t per_epoch = loader.batches_per_epoch();

  SigintGuard sigint;
  r.model->train();
  bool stopped = false;
  for (int64_t epoch = r.pos.epoch; epoch < o.epochs && !stopped; ++epoch) {
    loader.start_epoch(epoch, r.pos.batch);
    const auto epoch_start = Clock::now();
    EpochLosses sums;
    sums.parts.assign(r.extra.size(), 0.0);
    while (auto b = loader.next()) {
      TrainBatch batch = to_train_batch(*b);
      const auto t0 = Clock::now();
      StepResult step = train_step(*r.model, *r.opt, r.extra, rank_slice(batch, dist::World::get()),
                                   r.pos.iteration);
      record_step(r, step, epoch, batch.images.size(0), since(t0), sums);
      r.log.progress(progress_line(r, step, epoch, per_epoch, since(epoch_start), sums.steps),
                     r.pos.batch % 100 == 0);
      if (sigint.interrupted() ||
          (o.stop_after_iters >= 0 && r.pos.iteration >= o.stop_after_iters)) {
        stopped = true;
        break;
      }
    }
    end_epoch(r, epoch, stopped, sums);
  }
  return !stopped;
}

// loss.svg: the main part's loss and each extra part's, one point per iteration.
void write_loss_plot(Run& r) {
  std::vector<double> xs;
  for (size_t i = 0; i < r.pos.losses.size(); ++i) xs.push_back(static_cast<double>(i));
  std::vector<PlotSeries> series{
      {r.model->loss_name(), std::vector<double>(r.pos.losses.begin(), r.pos.losses.end())}};
  for (const ExtraPart& part : r.extra) {
    const std::vector<float>& v = r.pos.part_losses[part.name];
    series.push_back({part.name, std::vector<double>(v.begin(), v.end())});
  }
  write_text_atomic(r.dir + "/loss.svg",
                    loss_plot_svg(xs, series, fmt::format("{} {} bits", r.o.model, r.o.bits)));
}

// The final evaluation of a finished run: metrics.json, codes, pr.svg and the last log lines.
// Every rank calls it and encodes its share of the images; rank 0 evaluates and writes.
void evaluate_finished(Run& r, RunSummary& summary) {
  const TrainOptions& o = r.o;
  const auto eval_start = Clock::now();
  const EvalOutputs out = encode_for_eval(*r.model, r.split);
  if (!r.writer) return;
  RunInfo info{o.model, o.bits,  o.epochs, summary.train_images_per_s,
               0,       o.quick, o.data,   o.protocol};
  info.seconds = since(r.wall_start);
  std::vector<double> balance;
  summary.eval = evaluate_and_write(*r.model, out, r.split, r.dir, info, o.k, o.threads, &balance);
  summary.seconds = since(r.wall_start);
  r.log.line(balance_line(balance));
  r.log.line(fmt::format("{} bits {}: {}  ({:.0f} train img/s, eval {:.1f} s, total {:.1f} s)",
                         o.model, o.bits, eval_line(summary.eval), summary.train_images_per_s,
                         since(eval_start), summary.seconds));
}

// The training loop runs on the CPU: a CUDA --device is refused at once (saying why when no
// device is usable at all) instead of training on the CPU behind the user's back.
void check_train_device(const std::string& device) {
  if (device == "cpu") return;
  retrieval::parse_index_device(device);  // throws, naming the reason, when it is unusable
  throw std::invalid_argument("--device " + device +
                              ": the zoo's training loop runs on the CPU only (the engine's ops "
                              "and hashsearch knn --device run on CUDA)");
}
}  // namespace

RunSummary train(const TrainOptions& opt_in) {
  set_num_threads(opt_in.threads);
  check_train_device(opt_in.device);
  const std::string dir =
      opt_in.out.empty() ? fmt::format("runs/{}-{}", opt_in.model, opt_in.bits) : opt_in.out;
  // A folder that holds a run is refused before the data load, which can take minutes; the
  // check is repeated under the lock below, against a run started meanwhile.
  const bool root = dist::World::get().is_root();
  if (root) check_run_folder_free(dir, opt_in.resume, opt_in.overwrite);
  data::LoadedData loaded = load_run_data(opt_in);  // bad data: an error, nothing written
  std::filesystem::create_directories(dir);
  // Under mpirun the ranks share the folder: rank 0 holds its lock and checks it.
  std::optional<RunLock> lock;
  if (root) {
    lock.emplace(dir);
    check_run_folder_free(dir, opt_in.resume, opt_in.overwrite);
  }
  Run r(opt_in, dir, std::move(loaded));
  log_data(r);
  build_model(r);
  if (r.o.resume)
    resume(r);
  else
    start(r);
  fit_closed_form(r);
  RunSummary summary;
  summary.finished = train_epochs(r);
  if (!r.writer) {  // rank 0 reports the run; the others encode their share of its evaluation
    if (summary.finished) evaluate_finished(r, summary);
    return RunSummary{};
  }
  write_loss_plot(r);
  summary.iterations = r.pos.iteration;
  summary.train_images_per_s =
      r.pos.compute_seconds > 0 ? r.pos.timed_images / r.pos.compute_seconds : 0;
  if (!summary.finished) {
    r.log.line(fmt::format("stopped at iteration {}; continue with --resume", r.pos.iteration));
    return summary;
  }
  evaluate_finished(r, summary);
  return summary;
}

RunSummary evaluate_checkpoint(const std::string& ckpt_path, int64_t k, bool quick_override,
                               int threads, const std::string& data_spec) {
  set_num_threads(threads);
  const std::filesystem::path parent = std::filesystem::path(ckpt_path).parent_path();
  const std::string dir = parent.empty() ? std::string(".") : parent.string();
  RunLock lock(dir);  // no trainer writes the checkpoint or the metrics meanwhile
  SafetensorsFile file = load_safetensors(ckpt_path);
  auto it = file.metadata.find("options");
  if (it == file.metadata.end())
    throw std::runtime_error(ckpt_path + ": not a zoo checkpoint (no 'options' metadata)");
  TrainOptions o = options_from_json(it->second);
  if (quick_override) o.quick = true;
  if (!data_spec.empty()) o.data = data_spec;
  const data::LoadedData data = load_run_data(o);
  const data::RetrievalSplit& split = data.split;
  k = resolve_k(k, data);
  std::shared_ptr<HashModel> model = make_model(o.model, model_config(o, split));
  RunSummary s;
  const auto start = Clock::now();
  RunPosition pos = load_checkpoint(file, *model, nullptr);
  RunInfo info{
      o.model,          o.bits,
      pos.epoch,        pos.compute_seconds > 0 ? pos.timed_images / pos.compute_seconds : 0,
      pos.wall_seconds, o.quick,
      o.data,           o.protocol};
  s.eval = evaluate_and_write(*model, encode_for_eval(*model, split), split, dir, info, k, threads);
  s.seconds = since(start);
  s.finished = true;
  return s;
}

}  // namespace he::zoo
