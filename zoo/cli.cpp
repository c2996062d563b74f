// The command line of every zoo model binary (build/bin/<model>): train, eval, encode and
// search with the protocol's defaults, so `hashnet train` works with no flags. It lives in
// the library, compiled once; each binary's main (apps/zoo_main.cpp) only names its model.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "engine/data/datasets.h"
#include "engine/data/image_decode.h"
#include "engine/data/image_folder.h"
#include "engine/dist/comm.h"
#include "engine/io/safetensors.h"
#include "retrieval/cli_range.h"
#include "retrieval/index.h"
#include "retrieval/npy.h"
#include "zoo/backbones.h"
#include "zoo/checkpoint.h"
#include "zoo/cli.h"
#include "zoo/cnn_model.h"  // backbone_spec
#include "zoo/dataset.h"
#include "zoo/encode.h"
#include "zoo/float_encode.h"
#include "zoo/report.h"
#include "zoo/search_grid.h"
#include "zoo/trainer.h"

namespace {
using namespace he;

// Model and data of a checkpoint, ready to encode: the data the run recorded, or `data_spec`.
struct Loaded {
  zoo::TrainOptions opt;
  data::LoadedData data;
  std::shared_ptr<zoo::HashModel> model;
};
Loaded load_model(const std::string& ckpt, const std::string& data_spec, int threads) {
  SafetensorsFile file = load_safetensors(ckpt);
  auto it = file.metadata.find("options");
  if (it == file.metadata.end()) throw std::runtime_error(ckpt + ": not a zoo checkpoint");
  Loaded l{zoo::options_from_json(it->second), {}, nullptr};
  if (!data_spec.empty()) l.opt.data = data_spec;
  l.opt.threads = threads;
  l.data = zoo::load_run_data(l.opt);
  const data::ImageSet& train = l.data.split.train;
  zoo::ModelConfig c;
  c.num_classes = train.num_classes;
  c.multi_label = train.multi_label();
  c.data_mean = train.mean, c.data_std = train.std;
  c.bits = l.opt.bits, c.train_size = train.n, c.seed = l.opt.seed, c.lr = l.opt.lr;
  c.labelled = l.opt.labelled;
  c.clusters = l.opt.clusters, c.pseudo_loss = l.opt.pseudo_loss, c.pool = l.opt.pool;
  c.pq_m = l.opt.pq_m, c.pq_nbits = l.opt.pq_nbits;
  if (!l.opt.features.empty()) c.feature_backbone = l.opt.backbone;
  c.in_channels = train.c, c.image_size = train.h;
  c.backbone = l.opt.backbone, c.input_size = l.opt.input_size;
  l.model = zoo::make_model(l.opt.model, c);
  zoo::load_checkpoint(file, *l.model, nullptr);
  return l;
}

// The ranges of the options several subcommands share.
const CLI::Validator kBits = cli::in_range<int64_t>(1, 32768);
const CLI::Validator kThreads = cli::in_range<int64_t>(1, 1024);
const CLI::Validator kMapK = cli::in_range<int64_t>(1, 100000000);

// Options of eval, encode and search, which all start from a checkpoint.
struct CheckpointArgs {
  std::string ckpt;
  int64_t k = 0;  // eval: k of mAP@k (0: the data set's default)
  int threads = 2;
  bool quick = false;                       // eval: on FM-quick
  std::string data;                         // a --data SPEC instead of the run's
  std::string split = "test", images, out;  // encode: what to encode, and where
  std::string query = "0";                  // search
  int64_t top = 10;                         // search: hits to show
  // encode --float: off-the-shelf descriptors of the checkpoint's backbone, or of
  // torchvision-named --pretrained weights for --backbone (zoo/float_encode.h).
  bool float_desc = false;
  std::string pool, pretrained, backbone;
  int64_t input_size = 0;
  bool overlay = false;  // search: draw the attention maps
};

void add_network_options(CLI::App& train, zoo::TrainOptions& t) {
  std::vector<std::string> backbones = zoo::backbone_names();
  backbones.push_back("pixels");
  train
      .add_option("--backbone", t.backbone,
                  "network (default: small; pseudo, dvb, greedyhash-u, deepbit and uth: mlp; "
                  "lsh and itq: pixels, or the backbone whose penultimate features they fit on)")
      ->check(CLI::IsMember(backbones));
  train
      .add_option("--input-size", t.input_size,
                  fmt::format("side the torchvision backbones see: the images are resized "
                              "bilinearly, repeated to 3 channels and ImageNet-normalised "
                              "(default: {}, or the data's side if larger); list / folder "
                              "data: the side images are resized and cropped to on decoding, "
                              "with random resized crops and flips in training",
                              zoo::kDefaultInputSize))
      ->check(cli::in_range<int64_t>(1, 4096));
  train
      .add_option("--pretrained", t.pretrained,
                  "torchvision-named weights (.safetensors, F32) for --backbone; the ImageNet "
                  "classifier is left out, the hash head starts fresh")
      ->check(CLI::ExistingFile);
  train
      .add_option("--features", t.features,
                  "lsh / itq / pseudo / dvb / tbh: fit (pseudo / dvb: their k-means; tbh: "
                  "its autoencoder) on the penultimate features of this CNN run's backbone "
                  "(checkpoint.safetensors) instead of the pixels")
      ->check(CLI::ExistingFile);
}

// The options only some models have.
void add_model_options(CLI::App& train, zoo::TrainOptions& t, const std::string& model) {
  if (zoo::model_is_semi_supervised(model))
    train
        .add_option("--labelled", t.labelled,
                    "training images whose labels the model may use (a seeded random subset; "
                    "the others are used without labels)")
        ->check(cli::in_range<int64_t>(0, 100000000))
        ->capture_default_str();
  if (zoo::model_fits_clusters(model))
    train
        .add_option("--clusters", t.clusters,
                    "k-means clusters of the features (default: one per 60 training images)")
        ->check(cli::in_range<int64_t>(1, 1000000));
  if (zoo::model_has_float_descriptors(model)) {
    train.add_option("--dim", t.bits, "descriptor dimension (floats per item; same as --bits)")
        ->check(kBits);
    train
        .add_option("--pool", t.pool,
                    "read the descriptor from a global pooling of the backbone's conv map "
                    "(default: the backbone's head)")
        ->check(CLI::IsMember({"mac", "spoc", "rmac", "gem", "crow", "netvlad"}));
  }
  if (zoo::model_is_quantised(model)) {
    if (model == "dqn" || model == "dpq")
      train.add_option("--dim", t.bits, "descriptor dimension (same as --bits)")->check(kBits);
    train
        .add_option("--m", t.pq_m,
                    "product-quantiser subspaces; the descriptor's dimension must divide by it")
        ->check(cli::in_range<int64_t>(1, 4096))
        ->capture_default_str();
    train.add_option("--nbits", t.pq_nbits, "bits per subspace code: 2^nbits codewords each")
        ->check(CLI::IsMember(std::vector<int>{4, 8}))
        ->capture_default_str();
  }
  if (model == "pseudo")
    train
        .add_option("--pseudo-loss", t.pseudo_loss,
                    "supervised pairwise loss trained on the pseudo-labels")
        ->check(CLI::IsMember(zoo::pseudo_loss_names()))
        ->capture_default_str();
}

CLI::App* add_train(CLI::App& app, zoo::TrainOptions& t, const std::string& model) {
  auto* train = app.add_subcommand(
      "train", "train, checkpoint every epoch, evaluate, write the run directory");
  train
      ->add_option("--data", t.data,
                   "fashion-mnist, mnist, idx:DIR, cifar10:DIR, list:DIR (DeepHash-pytorch's "
                   "train.txt / database.txt / test.txt) or folder:DIR (train/<class>/*, "
                   "test/<class>/*, database/<class>/* optional)")
      ->capture_default_str();
  train
      ->add_option("--protocol", t.protocol,
                   "cifar10:DIR only: DeepHash-pytorch's split (default: train = database = the "
                   "50,000 training images, queries = the 10,000 test images)")
      ->check(CLI::IsMember({"cifar10", "cifar10-1", "cifar10-2"}));
  train->add_flag("--skip-bad-images", t.skip_bad_images,
                  "list / folder: log and skip images that cannot be read or decoded");
  train->add_option("--bits", t.bits, "code length")->check(kBits)->capture_default_str();
  train->add_option("--epochs", t.epochs, "epochs (default: the recipe's, 5 for most)")
      ->check(cli::in_range<int64_t>(1, 100000));
  train->add_option("--batch", t.batch, "batch size (default: the recipe's, 128 for most)")
      ->check(cli::in_range<int64_t>(1, 1000000));
  train->add_option("--lr", t.lr, "Adam learning rate (default: the recipe's, 1e-3 for most)")
      ->check(cli::in_range<double>(1e-9, 10));
  train->add_option("--seed", t.seed, "seed of every random stream")
      ->check(cli::in_range<uint64_t>(0, std::numeric_limits<uint64_t>::max()))
      ->capture_default_str();
  train->add_option("--threads", t.threads, "CPU threads")->check(kThreads)->capture_default_str();
  train->add_option("--device", t.device, "cpu or cuda")->capture_default_str();
  train->add_option("--out", t.out, "run directory (default runs/<model>-<bits>)");
  train
      ->add_option("--eval-every", t.eval_every,
                   "also evaluate every N epochs (0: at the end only)")
      ->check(cli::in_range<int64_t>(0, 100000))
      ->capture_default_str();
  train
      ->add_option("--k", t.k,
                   "k of mAP@k and P@k (default: the data set's, as DeepHash-pytorch: the whole "
                   "database for CIFAR-10, 5,000 for NUS-WIDE and COCO, else 1,000)")
      ->check(kMapK);
  train->add_flag("--quick", t.quick, "FM-quick: 6,000 training images, 1,000 queries");
  train->add_flag("--resume", t.resume, "continue the run in --out from its checkpoint");
  train->add_flag("--overwrite", t.overwrite,
                  "replace the run in --out (its files go once this run's first checkpoint is "
                  "written)");
  train->add_flag("--skip-nonfinite", t.skip_nonfinite,
                  "skip steps with a non-finite loss or gradient");
  train
      ->add_option("--stop-after", t.stop_after_iters,
                   "stop (with a checkpoint) after N iterations")
      ->check(cli::in_range<int64_t>(0, std::numeric_limits<int64_t>::max()));
  add_network_options(*train, t);
  add_model_options(*train, t, model);
  return train;
}

CLI::App* add_eval(CLI::App& app, CheckpointArgs& a) {
  auto* eval = app.add_subcommand(
      "eval", "re-encode and re-evaluate a checkpoint; rewrites metrics.json beside it");
  eval->add_option("--ckpt", a.ckpt, "checkpoint.safetensors")
      ->required()
      ->check(CLI::ExistingFile);
  eval->add_option("--k", a.k, "k of mAP@k (default: the data set's)")->check(kMapK);
  eval->add_option("--data", a.data, "a --data SPEC (default: the run's)");
  eval->add_option("--threads", a.threads, "CPU threads")->check(kThreads)->capture_default_str();
  eval->add_flag("--quick", a.quick, "evaluate on FM-quick");
  return eval;
}

CLI::App* add_encode(CLI::App& app, CheckpointArgs& a) {
  auto* encode =
      app.add_subcommand("encode",
                         "write the packed codes (or --float descriptors) of a split or an "
                         "image folder as .npy");
  encode->add_option("--ckpt", a.ckpt, "checkpoint.safetensors (or --pretrained with --float)")
      ->check(CLI::ExistingFile);
  encode->add_option("--data", a.data, "a --data SPEC (default: the run's)");
  encode->add_option("--split", a.split, "train, database or test")
      ->check(CLI::IsMember({"train", "database", "test"}))
      ->capture_default_str();
  encode
      ->add_option("--images", a.images,
                   "a folder of images (root/<class>/<image>) instead of --data")
      ->check(CLI::ExistingDirectory);
  encode->add_option("--out", a.out, "codes.npy (numpy.packbits layout)")->required();
  encode->add_option("--threads", a.threads, "CPU threads")->check(kThreads)->capture_default_str();
  encode->add_flag("--float", a.float_desc,
                   "write float32 descriptors of the backbone instead (unit rows): its "
                   "penultimate features, or --pool of its last conv map");
  encode->add_option("--pool", a.pool, "--float: global pooling of the conv map")
      ->check(CLI::IsMember({"mac", "spoc", "rmac", "gem", "crow", "netvlad"}));
  encode
      ->add_option("--pretrained", a.pretrained,
                   "--float without --ckpt: torchvision-named weights (.safetensors) for "
                   "--backbone, on --data (default fashion-mnist)")
      ->check(CLI::ExistingFile);
  encode->add_option("--backbone", a.backbone, "--pretrained: the network")
      ->check(CLI::IsMember(zoo::backbone_names()));
  encode->add_option("--input-size", a.input_size, "--pretrained: the side the network sees")
      ->check(cli::in_range<int64_t>(1, 4096));
  return encode;
}

CLI::App* add_search(CLI::App& app, CheckpointArgs& a) {
  auto* search = app.add_subcommand(
      "search", "search the database for a query and draw the top hits as a PNG grid");
  search->add_option("--ckpt", a.ckpt, "checkpoint.safetensors")
      ->required()
      ->check(CLI::ExistingFile);
  search->add_option("--data", a.data, "a --data SPEC (default: the run's)");
  search->add_option("--query", a.query, "index of a test image, or an image file")
      ->capture_default_str();
  search->add_option("--k", a.top, "hits to show")
      ->check(cli::in_range<int64_t>(1, 1000))
      ->capture_default_str();
  search->add_option("--out", a.out, "grid.png")->required();
  search->add_flag("--overlay", a.overlay,
                   "draw each image's spatial attention map over it, blue (0) to red (1) "
                   "(attnhash)");
  search->add_option("--threads", a.threads, "CPU threads")->check(kThreads)->capture_default_str();
  return search;
}

// A figure rounded to `places` decimals, as the one-line summaries print them.
double rounded(double v, int places) {
  const double scale = std::pow(10.0, places);
  return std::round(v * scale) / scale;
}

// The one-line JSON summary of a finished run (stdout).
void print_train_summary(const std::string& model, const zoo::TrainOptions& t,
                         const zoo::RunSummary& s) {
  nlohmann::ordered_json j{{"model", model}, {"bits", t.bits}};
  j[fmt::format("map@{}", s.eval.k)] = rounded(s.eval.map_k, 4);
  j["map@all"] = rounded(s.eval.map_all, 4);
  j[fmt::format("p@{}", s.eval.k)] = rounded(s.eval.p_k, 4);
  if (zoo::model_is_quantised(model))  // PQ codes have no Hamming radius
    j["bytes_per_item"] = (t.pq_m * t.pq_nbits + 7) / 8;
  else
    j["p@r2"] = rounded(s.eval.p_r2, 4);
  j["train_images_per_s"] = std::llround(s.train_images_per_s);
  j["seconds"] = rounded(s.seconds, 1);
  fmt::print("{}\n", j.dump());
}

void print_eval_summary(const zoo::RunSummary& s) {
  nlohmann::ordered_json j;
  j[fmt::format("map@{}", s.eval.k)] = rounded(s.eval.map_k, 4);
  j["map@all"] = rounded(s.eval.map_all, 4);
  j[fmt::format("p@{}", s.eval.k)] = rounded(s.eval.p_k, 4);
  if (s.eval.bits > 0) j["p@r2"] = rounded(s.eval.p_r2, 4);  // Hamming codes only
  j["seconds"] = rounded(s.seconds, 1);
  fmt::print("{}\n", j.dump());
}

// How an image file the user gives is decoded: as the run's list / folder images were.
data::LoadImagesOptions decode_like_data(const Loaded& l) {
  const data::ImageSet& db = l.data.split.database;
  data::LoadImagesOptions lo;
  lo.decode.channels = static_cast<int>(db.c);
  lo.decode.height = db.h, lo.decode.width = db.w;
  lo.decode.keep_aspect = l.data.resized;
  return lo;
}

// What encode encodes: the image folder of --images, or the --split of the data.
data::ImageSet encode_set_of(const CheckpointArgs& a, const Loaded& l) {
  const data::RetrievalSplit& split = l.data.split;
  if (a.images.empty())
    return a.split == "train" ? split.train : a.split == "database" ? split.database : split.query;
  data::ImageSet set = data::load_image_folder(a.images, decode_like_data(l), nullptr);
  set.mean = split.train.mean, set.std = split.train.std;
  return set;
}

// encode --float: the backbone's penultimate features or a pooling of its conv map.
void run_float_encode(const CheckpointArgs& a, const Loaded& l, zoo::Backbone& net) {
  zoo::DescriptorOptions o;
  o.pool = a.pool, o.seed = l.opt.seed;
  Tensor f = zoo::backbone_descriptors(net, encode_set_of(a, l), l.data.split.train, o);
  retrieval::write_npy(a.out, retrieval::npy_from({f.size(0), f.size(1)}, f.data<float>()));
  fmt::print("{} descriptors of {} floats ({}) -> {}\n", f.size(0), f.size(1),
             a.pool.empty() ? "penultimate features" : a.pool + " of the conv map", a.out);
}

// encode --float --pretrained W --backbone B: the headless torchvision network with the
// weights of W, on --data (default fashion-mnist).
void run_pretrained_encode(const CheckpointArgs& a) {
  if (a.backbone.empty()) throw std::invalid_argument("encode --pretrained needs --backbone");
  Loaded l;
  if (!a.data.empty()) l.opt.data = a.data;
  l.opt.threads = a.threads, l.opt.backbone = a.backbone, l.opt.input_size = a.input_size;
  l.data = zoo::load_run_data(l.opt);
  const data::ImageSet& train = l.data.split.train;
  zoo::ModelConfig c;
  c.in_channels = train.c, c.image_size = train.h, c.input_size = a.input_size;
  c.data_mean = train.mean, c.data_std = train.std;
  Generator init(0);
  auto net = zoo::make_backbone(zoo::backbone_spec(c, a.backbone, 0), init,
                                std::make_shared<Generator>(1));
  fmt::print("{}\n", zoo::load_pretrained(*net, a.pretrained).str());
  run_float_encode(a, l, *net);
}

void run_encode(const CheckpointArgs& a, const Loaded& l) {
  if (a.float_desc) {
    zoo::Backbone* net = l.model->backbone();
    if (!net)
      throw std::invalid_argument("encode --float: " + l.opt.model +
                                  " has no backbone network to take descriptors from");
    run_float_encode(a, l, *net);
    return;
  }
  const data::ImageSet set = encode_set_of(a, l);
  if (l.model->float_descriptors() || l.model->quantizer()) {
    // Quantised models: the float vectors their index codes (database side) or searches with.
    const bool db_side = l.model->quantizer() && a.images.empty() && a.split != "test";
    Tensor f = zoo::encode_set(*l.model, set, 1000, db_side).contiguous().to(DType::f32);
    retrieval::write_npy(a.out, retrieval::npy_from({f.size(0), f.size(1)}, f.data<float>()));
    fmt::print("{} descriptors of {} floats -> {}\n", f.size(0), f.size(1), a.out);
    return;
  }
  // The network's time alone (the images are in memory already): the figure that
  // bench/encode_side_by_side.py compares with PyTorch's inference.
  const auto t0 = std::chrono::steady_clock::now();
  retrieval::PackedCodes codes = zoo::pack(zoo::encode_set(*l.model, set));
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  zoo::write_codes_npy(a.out, codes);
  fmt::print("{} codes of {} bits -> {} (encoded in {:.2f} s, {:.0f} img/s, {} threads)\n",
             codes.size(), codes.bits(), a.out, s, s > 0 ? codes.size() / s : 0.0, a.threads);
}

// The query of `search`: a test image by index (with its row in the queries) or an image
// file (row -1).
std::pair<data::ImageSet, int64_t> search_query(const CheckpointArgs& a, const Loaded& l) {
  const data::ImageSet& queries = l.data.split.query;
  data::ImageSet q;
  int64_t qi = -1;
  if (!a.query.empty() && a.query.find_first_not_of("0123456789") == std::string::npos) {
    qi = std::stoll(a.query);
    if (qi >= queries.n)
      throw std::out_of_range(
          fmt::format("--query {}: the test split has {} images", qi, queries.n));
    q = zoo::one_image_set(queries.image(qi), queries.c, queries.h, queries.w);
  } else {
    data::DecodedImage img = data::decode_image(a.query, decode_like_data(l).decode);
    q = zoo::one_image_set(img.pixels.data(), img.c, img.h, img.w);
  }
  q.mean = queries.mean, q.std = queries.std;
  return {std::move(q), qi};
}

void run_search(const CheckpointArgs& a, const Loaded& l) {
  if (l.model->float_descriptors())
    throw std::invalid_argument("search: " + l.opt.model +
                                " gives float descriptors; the search grid ranks Hamming codes "
                                "(use encode and hashsearch on the .npy)");
  if (l.model->quantizer())
    throw std::invalid_argument("search: " + l.opt.model +
                                " codes its database with a product quantiser; the search grid "
                                "ranks Hamming codes (use encode --split test and hashsearch knn "
                                "--index on the run's db_index.heq)");
  const data::ImageSet& db_set = l.data.split.database;
  auto [qset, qi] = search_query(a, l);
  const std::string db_npy =
      (std::filesystem::path(a.ckpt).parent_path() / "db_codes.npy").string();
  retrieval::PackedCodes db;
  if (a.data.empty() && std::filesystem::exists(db_npy))
    db = retrieval::codes_from_npy(retrieval::read_npy(db_npy), db_npy,
                                   static_cast<int>(l.opt.bits));
  if (db.size() != static_cast<size_t>(db_set.n))  // none, or written for other data
    db = zoo::pack(zoo::encode_set(*l.model, db_set));
  retrieval::PackedCodes q = zoo::pack(zoo::encode_set(*l.model, qset));
  retrieval::KnnResult r =
      retrieval::make_binary_index("flat", db)->search(q, static_cast<size_t>(a.top));
  const retrieval::Labels db_labels = zoo::retrieval_labels(db_set);
  const retrieval::Labels q_labels = zoo::retrieval_labels(l.data.split.query);
  std::vector<zoo::GridItem> hits;
  for (size_t i = 0; i < r.k; ++i)
    hits.push_back({r.ids[i], r.dist[i],
                    qi >= 0 && q_labels.relevant(static_cast<size_t>(qi), db_labels,
                                                 static_cast<size_t>(r.ids[i]))});
  std::vector<zoo::HeatMap> overlays;
  if (a.overlay) {
    std::vector<int64_t> rows;
    for (const auto& h : hits) rows.push_back(h.index);
    overlays = zoo::attention_overlays(*l.model, qset, l.opt.model);
    if (!rows.empty()) {
      std::vector<zoo::HeatMap> db_maps =
          zoo::attention_overlays(*l.model, data::take_rows(db_set, rows), l.opt.model);
      overlays.insert(overlays.end(), db_maps.begin(), db_maps.end());
    }
  }
  zoo::write_search_grid(a.out, qset.image(0), db_set, hits, 3, overlays);
  for (const auto& h : hits)
    fmt::print("db {:6d}  distance {:3d}  {}\n", h.index, h.distance,
               h.relevant ? "relevant" : "-");
  fmt::print("grid -> {}\n", a.out);
}

int run(const std::string& model, int argc, char** argv) {
  CLI::App app{fmt::format(
      "{}: {}\nProtocol FM (shared/protocol.md): train on the 60,000 Fashion-MNIST training "
      "images, database = training set, queries = the 10,000 test images. --data takes your "
      "own (README, 'Your own data').",
      model, zoo::model_summary(model))};
  app.require_subcommand(1);
  zoo::TrainOptions t;
  t.model = model;
  CheckpointArgs a;
  CLI::App* train = add_train(app, t, model);
  CLI::App* eval = add_eval(app, a);
  CLI::App* encode = add_encode(app, a);
  add_search(app, a);
  CLI11_PARSE(app, argc, argv);

  if (*train) {
    zoo::RunSummary s = zoo::train(t);
    if (s.finished) print_train_summary(model, t, s);
    return 0;
  }
  if (*eval) {
    print_eval_summary(zoo::evaluate_checkpoint(a.ckpt, a.k, a.quick, a.threads, a.data));
    return 0;
  }
  set_num_threads(a.threads);
  if (*encode && (!a.pool.empty() || !a.pretrained.empty()) && !a.float_desc)
    throw std::invalid_argument("encode: --pool and --pretrained apply to --float descriptors");
  if (*encode && a.ckpt.empty() == a.pretrained.empty())
    throw std::invalid_argument("encode: give --ckpt, or --float --pretrained W --backbone B");
  if (*encode && a.ckpt.empty()) {
    run_pretrained_encode(a);
    return 0;
  }
  Loaded l = load_model(a.ckpt, a.data, a.threads);
  if (*encode)
    run_encode(a, l);
  else
    run_search(a, l);
  return 0;
}
}  // namespace

namespace he::zoo {
int run_cli(const std::string& model, int argc, char** argv) {
  try {
    return run(model, argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: error: {}\n", model, e.what());
    // Under mpirun the other ranks may wait in a collective: end the whole job.
    if (dist::World::get().distributed()) dist::World::get().abort(1);
    return 1;
  }
}
}  // namespace he::zoo
