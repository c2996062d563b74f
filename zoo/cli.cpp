// The command line of every zoo model binary (build/bin/<model>): train, eval, encode and
// search with the protocol's defaults, so `hashnet train` works with no flags. It lives in
// the library, compiled once; each binary's main (apps/zoo_main.cpp) only names its model.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <filesystem>

#include "engine/data/datasets.h"
#include "engine/data/image_decode.h"
#include "engine/data/image_folder.h"
#include "engine/io/safetensors.h"
#include "retrieval/hamming_search.h"
#include "retrieval/npy.h"
#include "zoo/backbones.h"
#include "zoo/checkpoint.h"
#include "zoo/cli.h"
#include "zoo/dataset.h"
#include "zoo/encode.h"
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
  c.clusters = l.opt.clusters, c.pseudo_loss = l.opt.pseudo_loss;
  if (!l.opt.features.empty()) c.feature_backbone = l.opt.backbone;
  c.in_channels = train.c, c.image_size = train.h;
  c.backbone = l.opt.backbone, c.input_size = l.opt.input_size;
  l.model = zoo::make_model(l.opt.model, c);
  zoo::load_checkpoint(file, *l.model, nullptr);
  return l;
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
  train->add_option("--bits", t.bits, "code length")->capture_default_str();
  train->add_option("--epochs", t.epochs, "epochs (default: the recipe's, 5 for most)");
  train->add_option("--batch", t.batch, "batch size (default: the recipe's, 128 for most)");
  train->add_option("--lr", t.lr, "Adam learning rate (default: the recipe's, 1e-3 for most)");
  train->add_option("--seed", t.seed, "seed of every random stream")->capture_default_str();
  train->add_option("--threads", t.threads, "CPU threads")->capture_default_str();
  train->add_option("--device", t.device, "cpu or cuda")->capture_default_str();
  train->add_option("--out", t.out, "run directory (default runs/<model>-<bits>)");
  train->add_option("--eval-every", t.eval_every, "also evaluate every N epochs")
      ->capture_default_str();
  train->add_option("--k", t.k,
                    "k of mAP@k and P@k (default: the data set's, as DeepHash-pytorch: the whole "
                    "database for CIFAR-10, 5,000 for NUS-WIDE and COCO, else 1,000)");
  train->add_flag("--quick", t.quick, "FM-quick: 6,000 training images, 1,000 queries");
  train->add_flag("--resume", t.resume, "continue the run in --out from its checkpoint");
  train->add_flag("--skip-nonfinite", t.skip_nonfinite,
                  "skip steps with a non-finite loss or gradient");
  train->add_option("--stop-after", t.stop_after_iters,
                    "stop (with a checkpoint) after N iterations");
  std::vector<std::string> backbones = zoo::backbone_names();
  backbones.push_back("pixels");
  train
      ->add_option("--backbone", t.backbone,
                   "network (default: small; pseudo, dvb, greedyhash-u, deepbit and uth: mlp; "
                   "lsh and itq: pixels, or the backbone whose penultimate features they fit on)")
      ->check(CLI::IsMember(backbones));
  train->add_option("--input-size", t.input_size,
                    fmt::format("side the torchvision backbones see: the images are resized "
                                "bilinearly, repeated to 3 channels and ImageNet-normalised "
                                "(default: {}, or the data's side if larger); list / folder "
                                "data: the side images are resized and cropped to on decoding, "
                                "with random resized crops and flips in training",
                                zoo::kDefaultInputSize));
  train
      ->add_option("--pretrained", t.pretrained,
                   "torchvision-named weights (.safetensors, F32) for --backbone; the ImageNet "
                   "classifier is left out, the hash head starts fresh")
      ->check(CLI::ExistingFile);
  train
      ->add_option("--features", t.features,
                   "lsh / itq / pseudo / dvb / tbh: fit (pseudo / dvb: their k-means; tbh: "
                   "its autoencoder) on the penultimate features of this CNN run's backbone "
                   "(checkpoint.safetensors) instead of the pixels")
      ->check(CLI::ExistingFile);
  if (zoo::model_is_semi_supervised(model))
    train
        ->add_option("--labelled", t.labelled,
                     "training images whose labels the model may use (a seeded random subset; "
                     "the others are used without labels)")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();

  if (zoo::model_fits_clusters(model))
    train
        ->add_option("--clusters", t.clusters,
                     "k-means clusters of the features (default: one per 60 training images)")
        ->check(CLI::PositiveNumber);
  if (model == "pseudo")
    train
        ->add_option("--pseudo-loss", t.pseudo_loss,
                     "supervised pairwise loss trained on the pseudo-labels")
        ->check(CLI::IsMember(zoo::pseudo_loss_names()))
        ->capture_default_str();

  std::string ckpt;
  int64_t k = 0;
  int threads = 2;
  std::string data_spec;
  bool quick = false;
  auto* eval = app.add_subcommand(
      "eval", "re-encode and re-evaluate a checkpoint; rewrites metrics.json beside it");
  eval->add_option("--ckpt", ckpt, "checkpoint.safetensors")->required()->check(CLI::ExistingFile);
  eval->add_option("--k", k, "k of mAP@k (default: the data set's)");
  eval->add_option("--threads", threads)->capture_default_str();
  eval->add_flag("--quick", quick, "evaluate on FM-quick");
  eval->add_option("--data", data_spec, "a --data SPEC (default: the run's)");

  std::string split_name = "test", images_dir, out;
  auto* encode =
      app.add_subcommand("encode", "write the packed codes of a split or an image folder as .npy");
  encode->add_option("--ckpt", ckpt, "checkpoint.safetensors")
      ->required()
      ->check(CLI::ExistingFile);
  encode->add_option("--data", data_spec, "a --data SPEC (default: the run's)");
  encode->add_option("--split", split_name, "train, database or test")
      ->check(CLI::IsMember({"train", "database", "test"}))
      ->capture_default_str();
  encode
      ->add_option("--images", images_dir,
                   "a folder of images (root/<class>/<image>) instead of --data")
      ->check(CLI::ExistingDirectory);
  encode->add_option("--out", out, "codes.npy (numpy.packbits layout)")->required();
  encode->add_option("--threads", threads)->capture_default_str();

  std::string query = "0";
  int64_t top = 10;
  auto* search = app.add_subcommand(
      "search", "search the database for a query and draw the top hits as a PNG grid");
  search->add_option("--ckpt", ckpt, "checkpoint.safetensors")
      ->required()
      ->check(CLI::ExistingFile);
  search->add_option("--data", data_spec, "a --data SPEC (default: the run's)");
  search->add_option("--query", query, "index of a test image, or an image file")
      ->capture_default_str();
  search->add_option("--k", top, "hits to show")->capture_default_str();
  search->add_option("--out", out, "grid.png")->required();
  search->add_option("--threads", threads)->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  if (*train) {
    zoo::RunSummary s = zoo::train(t);
    if (s.finished)
      fmt::print(
          "{{\"model\": \"{}\", \"bits\": {}, \"map@{}\": {:.4f}, \"map@all\": {:.4f}, \"p@{}\": "
          "{:.4f}, "
          "\"p@r2\": {:.4f}, \"train_images_per_s\": {:.0f}, \"seconds\": {:.1f}}}\n",
          model, t.bits, s.eval.k, s.eval.map_k, s.eval.map_all, s.eval.k, s.eval.p_k, s.eval.p_r2,
          s.train_images_per_s, s.seconds);
    return 0;
  }
  if (*eval) {
    zoo::RunSummary s = zoo::evaluate_checkpoint(ckpt, k, quick, threads, data_spec);
    fmt::print(
        "{{\"map@{}\": {:.4f}, \"map@all\": {:.4f}, \"p@{}\": {:.4f}, \"p@r2\": {:.4f}, "
        "\"seconds\": {:.1f}}}\n",
        s.eval.k, s.eval.map_k, s.eval.map_all, s.eval.k, s.eval.p_k, s.eval.p_r2, s.seconds);
    return 0;
  }
  set_num_threads(threads);
  Loaded l = load_model(ckpt, data_spec, threads);
  const data::RetrievalSplit& split = l.data.split;
  const data::ImageSet& db_set = split.database;
  // An image file given by the user: decoded as the run's list / folder images were.
  auto decode_like_data = [&](const data::LoadImagesOptions& base) {
    data::LoadImagesOptions lo = base;
    lo.decode.channels = static_cast<int>(db_set.c);
    lo.decode.height = db_set.h, lo.decode.width = db_set.w;
    lo.decode.keep_aspect = l.data.resized;
    return lo;
  };
  if (*encode) {
    data::ImageSet set;
    if (!images_dir.empty()) {
      set = data::load_image_folder(images_dir, decode_like_data({}), nullptr);
      set.mean = db_set.mean, set.std = db_set.std;
    } else {
      set = split_name == "train" ? split.train : split_name == "database" ? db_set : split.query;
    }
    retrieval::PackedCodes codes = zoo::pack(zoo::encode_set(*l.model, set));
    zoo::write_codes_npy(out, codes);
    fmt::print("{} codes of {} bits -> {}\n", codes.size(), codes.bits(), out);
    return 0;
  }
  // search
  data::ImageSet qset;
  int64_t qi = -1;  // the query's row in split.query, when it is one
  if (!query.empty() && query.find_first_not_of("0123456789") == std::string::npos) {
    qi = std::stoll(query);
    if (qi >= split.query.n)
      throw std::out_of_range(
          fmt::format("--query {}: the test split has {} images", qi, split.query.n));
    qset = zoo::one_image_set(split.query.image(qi), db_set.c, db_set.h, db_set.w);
  } else {
    data::DecodedImage img = data::decode_image(query, decode_like_data({}).decode);
    qset = zoo::one_image_set(img.pixels.data(), img.c, img.h, img.w);
  }
  qset.mean = db_set.mean, qset.std = db_set.std;
  const std::string db_npy = (std::filesystem::path(ckpt).parent_path() / "db_codes.npy").string();
  retrieval::PackedCodes db;
  if (data_spec.empty() && std::filesystem::exists(db_npy))
    db = retrieval::codes_from_npy(retrieval::read_npy(db_npy), db_npy,
                                   static_cast<int>(l.opt.bits));
  if (db.size() != static_cast<size_t>(db_set.n))  // none, or written for other data
    db = zoo::pack(zoo::encode_set(*l.model, db_set));
  retrieval::PackedCodes q = zoo::pack(zoo::encode_set(*l.model, qset));
  retrieval::KnnResult r = retrieval::hamming_knn(db, q, static_cast<size_t>(top));
  const retrieval::Labels db_labels = zoo::retrieval_labels(db_set);
  const retrieval::Labels q_labels = zoo::retrieval_labels(split.query);
  std::vector<zoo::GridItem> hits;
  for (size_t i = 0; i < r.k; ++i)
    hits.push_back({r.ids[i], r.dist[i],
                    qi >= 0 && q_labels.relevant(static_cast<size_t>(qi), db_labels,
                                                 static_cast<size_t>(r.ids[i]))});
  zoo::write_search_grid(out, qset.image(0), db_set, hits);
  for (const auto& h : hits)
    fmt::print("db {:6d}  distance {:3d}  {}\n", h.index, h.distance,
               h.relevant ? "relevant" : "-");
  fmt::print("grid -> {}\n", out);
  return 0;
}
}  // namespace

namespace he::zoo {
int run_cli(const std::string& model, int argc, char** argv) {
  try {
    return run(model, argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: error: {}\n", model, e.what());
    return 1;
  }
}
}  // namespace he::zoo
