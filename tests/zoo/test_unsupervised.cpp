// The unsupervised zoo models learn without labels: their loss is the same whatever labels
// the batch carries. The semi-supervised one sees the labels of its labelled subset only.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/data/datasets.h"
#include "zoo/checkpoint.h"
#include "zoo/encode.h"
#include "zoo/model.h"
#include "zoo_test_util.h"

namespace he::zoo {
namespace {

using test::have_fashion_mnist;

const data::ImageSet& small_train() { return test::first_train_images(256); }

// The batch of images [begin, begin + n) carrying `labels` instead of its own.
TrainBatch batch_of(const data::ImageSet& set, int64_t begin, int64_t n, const Tensor& labels) {
  TrainBatch b = test::batch_of(set, begin, n);
  b.labels = labels;
  return b;
}

// Losses of three steps of a fresh model (same seed) on one batch carrying `labels`; the
// model steps its optimiser in between, so later losses depend on earlier gradients too.
// `train_labels` (default: the true ones) go to begin_training.
std::vector<double> three_losses(const std::string& name, const Tensor& labels,
                                 Tensor train_labels = Tensor(), int64_t labelled = 40) {
  const data::ImageSet& train = small_train();
  ModelConfig cfg;
  cfg.bits = 16;
  cfg.train_size = train.n;
  cfg.labelled = labelled;
  auto model = make_model(name, cfg);
  model->begin_training(train_labels.defined() ? train_labels : labels_tensor(train));
  model->fit_targets(images_tensor(train, 0, train.n));
  auto opt = model->make_optimizer(cfg);
  model->train();
  std::vector<double> out;
  for (int it = 0; it < 3; ++it) {
    Tensor loss = model->loss(batch_of(train, 0, 64, labels), it);
    out.push_back(loss.item<double>());
    opt->zero_grad();
    loss.backward();
    opt->step();
  }
  return out;
}

class Unsupervised : public ::testing::TestWithParam<std::string> {};

TEST_P(Unsupervised, LossDoesNotDependOnTheBatchLabels) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  set_num_threads(1);
  Tensor labels = labels_tensor(small_train()).narrow(0, 0, 64).contiguous();
  Generator g(7);
  Tensor permuted = index_select(labels, 0, Tensor::randperm(64, g));
  ASSERT_NE(permuted.to_vector<int64_t>(), labels.to_vector<int64_t>());
  Tensor constant = Tensor::zeros({64}, DType::i64);
  std::vector<double> a = three_losses(GetParam(), labels);
  EXPECT_EQ(three_losses(GetParam(), permuted), a);
  EXPECT_EQ(three_losses(GetParam(), constant), a);
}

// The check can fail: a supervised model's loss changes with the labels.
TEST(Unsupervised, SupervisedControlDependsOnTheLabels) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  set_num_threads(1);
  Tensor labels = labels_tensor(small_train()).narrow(0, 0, 64).contiguous();
  EXPECT_NE(three_losses("greedyhash", Tensor::zeros({64}, DType::i64)),
            three_losses("greedyhash", labels));
}

INSTANTIATE_TEST_SUITE_P(All, Unsupervised,
                         ::testing::Values("deepbit", "uth", "greedyhash-u", "bingan", "bgan",
                                           "pseudo", "dvb"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

// SSDH keeps the labels of `labelled` training images only; the others, and the batch's
// labels, never change its loss.
TEST(SemiSupervised, SsdhSeesOnlyItsLabelledSubset) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  set_num_threads(1);
  const data::ImageSet& train = small_train();
  ASSERT_TRUE(model_is_semi_supervised("ssdh"));
  ASSERT_FALSE(model_is_semi_supervised("deepbit"));
  ModelConfig cfg;
  cfg.bits = 16, cfg.train_size = train.n, cfg.labelled = 40;
  auto model = make_model("ssdh", cfg);
  Tensor truth = labels_tensor(train);
  model->begin_training(truth);
  std::vector<int64_t> kept;
  for (auto& [name, t] : model->named_buffers())
    if (name == "train_labels") kept = t.to_vector<int64_t>();
  ASSERT_EQ(kept.size(), static_cast<size_t>(train.n));
  std::vector<int64_t> y = truth.to_vector<int64_t>(), others = y, relabelled = y;
  int64_t labelled = 0;
  for (size_t i = 0; i < kept.size(); ++i) {
    if (kept[i] >= 0) {
      ++labelled;
      EXPECT_EQ(kept[i], y[i]);
      relabelled[i] = 0;  // (a bijection of the classes would change nothing)
    } else {
      others[i] = (y[i] + 3) % 10;
    }
  }
  EXPECT_EQ(labelled, 40);

  Tensor batch_labels = truth.narrow(0, 0, 64).contiguous();
  std::vector<double> a = three_losses("ssdh", batch_labels);
  EXPECT_GT(a[0], 0.0);
  // Other images' labels and the batch's labels: no effect.
  EXPECT_EQ(three_losses("ssdh", batch_labels, Tensor::from_vector(others)), a);
  EXPECT_EQ(three_losses("ssdh", Tensor::zeros({64}, DType::i64)), a);
  // The labelled images' labels do matter: all in one class, no triplet is left.
  EXPECT_NE(three_losses("ssdh", batch_labels, Tensor::from_vector(relabelled)), a);
}

TEST(SemiSupervised, LabelledCountTravelsInTheCheckpointOptions) {
  TrainOptions o;
  o.model = "ssdh";
  o.labelled = 1234;
  EXPECT_NE(options_json(o).find("\"labelled\":1234"), std::string::npos) << options_json(o);
  EXPECT_EQ(options_from_json(options_json(o)).labelled, 1234);
  o.model = "deepbit";  // not semi-supervised: no such option stored
  EXPECT_EQ(options_json(o).find("labelled"), std::string::npos) << options_json(o);
}

}  // namespace
}  // namespace he::zoo
