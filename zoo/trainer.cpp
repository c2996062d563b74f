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

#include "engine/data/datasets.h"
#include "engine/data/loader.h"
#include "zoo/checkpoint.h"
#include "zoo/dataset.h"
#include "zoo/encode.h"
#include "zoo/report.h"
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
  if (!o.features.empty()) c.feature_backbone = o.backbone;  // resolve_feature_source's
  return c;
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

// Encodes database and queries, evaluates, writes metrics.json, codes, labels and pr.svg.
// `balance` (if given) gets the database codes' bit balance.
retrieval::EvalResult evaluate_and_write(HashModel& model, const data::RetrievalSplit& split,
                                         const std::string& dir, const RunInfo& info, int64_t k,
                                         int threads, std::vector<double>* balance = nullptr) {
  Tensor db_u = model.database_codes().value_or(Tensor());
  retrieval::PackedCodes db = pack(db_u.defined() ? db_u : encode_set(model, split.database));
  retrieval::PackedCodes q = pack(encode_set(model, split.query));
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
  return fmt::format("map@{} {:.4f}  map@all {:.4f}  p@{} {:.4f}  p@r2 {:.4f}", r.k, r.map_k,
                     r.map_all, r.k, r.p_k, r.p_r2);
}
}  // namespace

StepResult train_step(HashModel& model, optim::Optimizer& main, std::vector<ExtraPart>& extra,
                      const TrainBatch& batch, int64_t iter) {
  StepResult r;
  auto clear_all = [&] {
    main.zero_grad();
    for (ExtraPart& p : extra) p.optimizer->zero_grad();
  };
  for (size_t k = 0; k <= extra.size(); ++k) {
    optim::Optimizer& opt = k == 0 ? main : *extra[k - 1].optimizer;
    const std::string part = k == 0 ? model.loss_name() : extra[k - 1].name;
    clear_all();
    Tensor loss = k == 0 ? model.loss(batch, iter) : model.extra_loss(k - 1, batch, iter);
    const double v = loss.item<double>();
    r.losses.push_back(v);
    if (!std::isfinite(v)) {
      r.problem = fmt::format("the {} loss is {}", part, v);
      break;
    }
    loss.backward();
    auto params = optim::all_params(opt.groups());
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

RunSummary train(const TrainOptions& opt_in) {
  const auto wall_start = Clock::now();
  TrainOptions o = opt_in;
  auto wall_mark = wall_start;
  set_num_threads(o.threads);
  data::LoadedData data = load_run_data(o);  // bad data stops the run before anything is written
  const data::RetrievalSplit& split = data.split;
  const bool default_k = o.k == 0;
  o.k = resolve_k(o.k, data);
  const std::string data_line = data_summary(o, data, default_k);
  const std::string dir = o.out.empty() ? fmt::format("runs/{}-{}", o.model, o.bits) : o.out;
  std::filesystem::create_directories(dir);
  const std::string ckpt = dir + "/checkpoint.safetensors";
  Log log(dir + "/train.log", o.quiet);
  log.line(data_line);
  for (const std::string& note : data.cache_notes) log.line(note);
  for (const std::string& f : data.skipped_files) log.line("skipped (--skip-bad-images): " + f);
  if (!data.skipped_files.empty())
    log.line(fmt::format("{} images skipped", data.skipped_files.size()));
  resolve_feature_source(o);
  // The model's default network is recorded in the run's options when it is not the small
  // CNN, so that the checkpoint names what it holds (options_from_json).
  const bool default_network = o.backbone.empty();
  if (default_network && model_default_backbone(o.model) != "small")
    o.backbone = model_default_backbone(o.model);
  ModelConfig cfg = model_config(o, split);
  std::shared_ptr<HashModel> model = make_model(o.model, cfg);
  if (o.lr <= 0) o.lr = model->default_lr();  // no --lr: the recipe's default
  if (o.batch <= 0) o.batch = model->default_batch();
  if (o.epochs < 0)
    throw std::invalid_argument(
        fmt::format("--epochs {}: give a positive count, or none for the model's default ({})",
                    o.epochs, model->default_epochs()));
  if (o.epochs == 0) o.epochs = model->default_epochs();
  cfg.lr = o.lr;
  model->begin_training(labels_tensor(split.train));
  std::unique_ptr<optim::Optimizer> opt = model->make_optimizer(cfg);
  std::vector<ExtraPart> extra = model->make_extra_parts(cfg);

  RunPosition pos;
  if (o.resume) {
    if (!std::filesystem::exists(ckpt) && !std::filesystem::exists(previous_checkpoint_path(ckpt)))
      throw std::runtime_error("--resume: no checkpoint at " + ckpt);
    std::string used, skipped;
    SafetensorsFile file = read_checkpoint_or_previous(ckpt, &used, &skipped);
    if (!skipped.empty())
      log.line(
          fmt::format("--resume: skipping the newest checkpoint ({}); using {}", skipped, used));
    TrainOptions saved = options_from_json(file.metadata.at("options"));
    if (saved.model != o.model || saved.bits != o.bits || saved.seed != o.seed ||
        saved.quick != o.quick || saved.batch != o.batch || saved.backbone != o.backbone ||
        saved.input_size != o.input_size || saved.labelled != o.labelled ||
        saved.clusters != o.clusters || saved.pseudo_loss != o.pseudo_loss ||
        saved.features != o.features || saved.data != o.data || saved.protocol != o.protocol)
      throw std::runtime_error(fmt::format("--resume: {} was written by a different run ({})", used,
                                           options_json(saved)));
    if (saved.threads != o.threads)
      log.line(fmt::format(
          "--resume: the run used --threads {}, this one {}: the continuation is exact only with "
          "the same thread count",
          saved.threads, o.threads));
    pos = load_checkpoint(file, *model, opt.get(), &extra);
    log.line(fmt::format("resumed {} at epoch {} batch {} (iteration {})", used, pos.epoch + 1,
                         pos.batch, pos.iteration));
  } else {
    log.line(fmt::format(
        "{}: {}  bits {}  epochs {}  batch {}  Adam lr {}  seed {}  threads {}  train {}{}  "
        "queries {}",
        o.model, model_summary(o.model), o.bits, o.epochs, o.batch, o.lr, o.seed, o.threads,
        split.train.n,
        model_is_semi_supervised(o.model)
            ? fmt::format(" ({} labelled)", std::min(o.labelled, split.train.n))
            : "",
        split.query.n));
    if (!o.backbone.empty() || model->backbone())
      log.line(fmt::format("backbone {}{}{}", o.backbone.empty() ? "small" : o.backbone,
                           o.input_size ? fmt::format(", input size {}", o.input_size) : "",
                           default_network ? " (the model's default)" : ""));
    const std::string loaded = load_backbone_weights(o, *model);
    if (!loaded.empty()) log.line(loaded);
    // Fixed targets from the data (pseudo-labels, priors). Only the models that have them get
    // the whole training set as one tensor (188 MB for Fashion-MNIST), not every model.
    if (model_fits_clusters(o.model)) {
      const auto t0 = Clock::now();
      const std::string fitted = model->fit_targets(images_tensor(split.train, 0, split.train.n));
      if (!fitted.empty()) log.line(fmt::format("{} ({:.1f} s)", fitted, since(t0)));
    }
  }

  if (!model->trains_by_gradient() && pos.epoch < o.epochs) {
    const auto t0 = Clock::now();
    model->fit(images_tensor(split.train, 0, split.train.n));
    pos.compute_seconds = since(t0), pos.timed_images = split.train.n, pos.epoch = o.epochs;
    save_checkpoint(ckpt, *model, *opt, o, pos, extra);
    log.line(fmt::format("fitted in closed form on {} images in {:.1f} s, checkpoint {}",
                         split.train.n, pos.compute_seconds, ckpt));
  }

  data::LoaderOptions lo;
  lo.batch_size = o.batch;
  lo.seed = o.seed;
  lo.workers = data.resized ? std::max(1, o.threads) : 1;  // augmenting takes more than one
  lo.transform = training_transform(data);
  data::Loader loader(split.train, lo);
  const int64_t per_epoch = loader.batches_per_epoch();
  const int64_t warmup = 10;  // steps excluded from the throughput (protocol.md)

  g_interrupted.store(false);
  auto previous = std::signal(SIGINT, on_sigint);
  RunSummary summary;
  model->train();
  bool stopped = false;
  for (int64_t epoch = pos.epoch; epoch < o.epochs && !stopped; ++epoch) {
    loader.start_epoch(epoch, pos.batch);
    const auto epoch_start = Clock::now();
    double epoch_loss = 0;
    std::vector<double> epoch_part_loss(extra.size(), 0.0);
    int64_t epoch_steps = 0;
    while (auto b = loader.next()) {
      TrainBatch batch = to_train_batch(*b);
      const auto t0 = Clock::now();
      StepResult step = train_step(*model, *opt, extra, batch, pos.iteration);
      // A non-finite loss or gradient stops the run before the step touches the weights
      // (the last checkpoint stays good), or with --skip-nonfinite skips just this step.
      if (!step.problem.empty()) {
        const std::string where =
            fmt::format("iteration {} (epoch {}, batch {})", pos.iteration, epoch + 1, pos.batch);
        if (!o.skip_nonfinite)
          throw std::runtime_error(
              fmt::format("{}: {}; the last good checkpoint is {} (use --skip-nonfinite to "
                          "skip such steps)",
                          where, step.problem, ckpt));
        log.line(fmt::format("{}: {}; step skipped", where, step.problem));
      }
      // Parts not reached this step log NaN (the plots skip it).
      step.losses.resize(1 + extra.size(), std::nan(""));
      const double lv = step.losses[0];
      const double dt = since(t0);
      if (pos.iteration >= warmup || o.resume)
        pos.compute_seconds += dt, pos.timed_images += batch.images.size(0);
      pos.losses.push_back(static_cast<float>(lv));
      for (size_t k = 0; k < extra.size(); ++k) {
        pos.part_losses[extra[k].name].push_back(static_cast<float>(step.losses[k + 1]));
        if (std::isfinite(step.losses[k + 1])) epoch_part_loss[k] += step.losses[k + 1];
      }
      pos.iteration++, pos.batch++, epoch_steps++;
      epoch_loss += std::isfinite(lv) ? lv : 0;
      const double ips = pos.compute_seconds > 0 ? pos.timed_images / pos.compute_seconds : 0;
      const double left = since(epoch_start) / epoch_steps * (per_epoch - pos.batch);
      std::string values = fmt::format("{} {:.4f}", model->loss_name(), lv);
      for (size_t k = 0; k < extra.size(); ++k)
        values += fmt::format("  {} {:.4f}", extra[k].name, step.losses[k + 1]);
      for (auto& [k, v] : model->log_values()) values += fmt::format("  {} {:.3f}", k, v);
      log.progress(fmt::format("epoch {}/{} [{}/{}] {}  {:.0f} img/s  ETA {}", epoch + 1, o.epochs,
                               pos.batch, per_epoch, values, ips, eta(left)),
                   pos.batch % 100 == 0);
      if (g_interrupted.load() ||
          (o.stop_after_iters >= 0 && pos.iteration >= o.stop_after_iters)) {
        stopped = true;
        break;
      }
    }
    if (!stopped) {
      model->end_epoch(epoch);
      pos.epoch = epoch + 1;
      pos.batch = 0;
    }
    pos.wall_seconds += since(wall_mark);  // this process's time since the last checkpoint
    wall_mark = Clock::now();
    save_checkpoint(ckpt, *model, *opt, o, pos, extra);
    std::string means = fmt::format("mean {} {:.4f}", model->loss_name(),
                                    epoch_steps ? epoch_loss / epoch_steps : 0.0);
    for (size_t k = 0; k < extra.size(); ++k)
      means += fmt::format(", {} {:.4f}", extra[k].name,
                           epoch_steps ? epoch_part_loss[k] / epoch_steps : 0.0);
    log.line(fmt::format("epoch {}/{}{}: {}, checkpoint {}", epoch + 1, o.epochs,
                         stopped ? " (interrupted)" : "", means, ckpt));
    if (!stopped && o.eval_every > 0 && (epoch + 1) % o.eval_every == 0 && epoch + 1 < o.epochs) {
      RunInfo info{o.model, o.bits, epoch + 1, 0, 0, o.quick, o.data, o.protocol};
      std::vector<double> balance;
      log.line(fmt::format(
          "eval after epoch {}: {}", epoch + 1,
          eval_line(evaluate_and_write(*model, split, dir, info, o.k, o.threads, &balance))));
      log.line(balance_line(balance));
      model->train();
    }
  }
  std::signal(SIGINT, previous);

  std::vector<double> xs;
  for (size_t i = 0; i < pos.losses.size(); ++i) xs.push_back(static_cast<double>(i));
  std::vector<PlotSeries> series{
      {model->loss_name(), std::vector<double>(pos.losses.begin(), pos.losses.end())}};
  for (const ExtraPart& part : extra) {
    const std::vector<float>& v = pos.part_losses[part.name];
    series.push_back({part.name, std::vector<double>(v.begin(), v.end())});
  }
  write_text_atomic(dir + "/loss.svg",
                    loss_plot_svg(xs, series, fmt::format("{} {} bits", o.model, o.bits)));
  summary.iterations = pos.iteration;
  summary.train_images_per_s = pos.compute_seconds > 0 ? pos.timed_images / pos.compute_seconds : 0;
  summary.finished = !stopped;
  if (stopped) {
    log.line(fmt::format("stopped at iteration {}; continue with --resume", pos.iteration));
    return summary;
  }
  const auto eval_start = Clock::now();
  RunInfo info{o.model, o.bits,  o.epochs, summary.train_images_per_s,
               0,       o.quick, o.data,   o.protocol};
  info.seconds = since(wall_start);
  std::vector<double> balance;
  summary.eval = evaluate_and_write(*model, split, dir, info, o.k, o.threads, &balance);
  summary.seconds = since(wall_start);
  log.line(balance_line(balance));
  log.line(fmt::format("{} bits {}: {}  ({:.0f} train img/s, eval {:.1f} s, total {:.1f} s)",
                       o.model, o.bits, eval_line(summary.eval), summary.train_images_per_s,
                       since(eval_start), summary.seconds));
  return summary;
}

RunSummary evaluate_checkpoint(const std::string& ckpt_path, int64_t k, bool quick_override,
                               int threads, const std::string& data_spec) {
  set_num_threads(threads);
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
  const std::string dir = std::filesystem::path(ckpt_path).parent_path().string();
  RunSummary s;
  const auto start = Clock::now();
  RunPosition pos = load_checkpoint(file, *model, nullptr);
  RunInfo info{
      o.model,          o.bits,
      pos.epoch,        pos.compute_seconds > 0 ? pos.timed_images / pos.compute_seconds : 0,
      pos.wall_seconds, o.quick,
      o.data,           o.protocol};
  s.eval = evaluate_and_write(*model, split, dir.empty() ? "." : dir, info, k, threads);
  s.seconds = since(start);
  s.finished = true;
  return s;
}

}  // namespace he::zoo
