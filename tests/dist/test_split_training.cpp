// N ranks train as one process: for models whose loss gathers the whole batch
// (HashModel::gathers_rows), 20 steps on a global batch split over the ranks of an mpirun job
// end with the parameters, buffers (memory banks, learned database codes, batch-norm running
// statistics) and random streams of 20 steps on the whole batch in one process, and the same
// loss at every step. Each rank runs the one-process reference itself (train_step on the
// unsplit batch touches no collective). DistMpirun.ModelsTrainAsOneProcessOnTwoRanks runs the
// DistTraining tests under mpirun -np 2; alone they skip.
//
// The steps use SGD with momentum rather than the recipes' Adam. The gradient is averaged
// over ranks and then stepped the same way on every rank, whatever the optimiser; but Adam
// divides each gradient by its own running magnitude, so a gradient that is 0 in exact
// arithmetic (a bias followed by batch norm) moves its parameter by about lr per step on
// rounding noise alone, in one process as much as on N ranks. Measured with Adam over these
// 20 steps: hashnet's loss agrees within 1e-7, its conv biases differ by 8e-3 relative, and a
// 1e-7 change of the initial weights in one process moves them as far; DPSH's and DSH's losses
// drift apart to 1e-4..1e-2 the same way. With SGD every tensor agrees within 5e-6 (DTSH:
// see its test).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <map>
#include <string>

#include "dist_test_util.h"
#include "engine/dist/comm.h"
#include "kernels/conv.h"
#include "optim/optimizers.h"
#include "zoo/data_parallel.h"
#include "zoo/trainer.h"

using namespace he;

namespace {
constexpr int64_t kBatch = 30, kTrainSize = 10 * kBatch, kSteps = 20;

zoo::ModelConfig config() {
  zoo::ModelConfig c;
  c.bits = 16;
  c.num_classes = 10;
  c.train_size = kTrainSize;
  c.in_channels = 1;
  c.image_size = 16;
  c.seed = 7;
  return c;
}

// Global batch `step`: random images, training rows (step * B + i) mod N, class = row mod 10.
zoo::TrainBatch global_batch(int64_t step) {
  Generator g(100 + static_cast<uint64_t>(step));
  std::vector<int64_t> rows(kBatch), labels(kBatch);
  for (int64_t i = 0; i < kBatch; ++i) {
    rows[i] = (step * kBatch + i * 7) % kTrainSize;
    labels[i] = rows[i] % 10;
  }
  return zoo::TrainBatch{Tensor::randn({kBatch, 1, 16, 16}, g), Tensor::from_vector(labels),
                         Tensor::from_vector(rows)};
}

struct Trained {
  std::shared_ptr<zoo::HashModel> model;
  std::vector<double> losses;
};

// kSteps steps of `name`, each on the whole batch or on this rank's rows of it; end_epoch
// half-way, so discrete code updates (adsh, dsdh) run too. Convolutions run as im2col: the two
// runs differ by the rounding of the batch sums, and each later step re-rounds every value, so
// they drift apart at the level of the convolution's own rounding. With Winograd's (about 10x
// im2col's), seeds 7, 8 and 9 put 3, 6 and 6 of the 16 models over 1e-5 (dpsh at seed 9 to 0.3,
// after one code bit flipped), against 0, 1 and 1 with im2col. The split is what is tested here.
Trained train_model(const std::string& name, bool split) {
  kernels::cpu::set_conv_algorithm(kernels::cpu::ConvAlgorithm::im2col);
  zoo::ModelConfig c = config();
  Trained t{zoo::make_model(name, c), {}};
  std::vector<int64_t> train_labels(kTrainSize);
  for (int64_t i = 0; i < kTrainSize; ++i) train_labels[i] = i % 10;
  t.model->begin_training(Tensor::from_vector(train_labels));
  optim::SGDOptions o;
  o.lr = 0.01;
  o.momentum = 0.9;
  std::unique_ptr<optim::Optimizer> opt = std::make_unique<optim::SGD>(t.model->parameters(), o);
  auto extra = t.model->make_extra_parts(c);
  t.model->train();
  for (int64_t step = 0; step < kSteps; ++step) {
    zoo::TrainBatch b = global_batch(step);
    zoo::StepResult r = zoo::train_step(*t.model, *opt, extra,
                                        split ? zoo::rank_slice(b, dist::World::get()) : b, step);
    EXPECT_TRUE(r.problem.empty()) << name << " step " << step << ": " << r.problem;
    t.losses.push_back(r.losses.at(0));
    if (step == kSteps / 2) t.model->end_epoch(0);
  }
  return t;
}

// ||a - b|| / ||b|| (0 when both are 0).
double relative_diff(const Tensor& a, const Tensor& b) {
  std::vector<double> x = a.to(DType::f64).to_vector<double>(),
                      y = b.to(DType::f64).to_vector<double>();
  double d = 0, n = 0;
  for (size_t i = 0; i < x.size(); ++i) d += (x[i] - y[i]) * (x[i] - y[i]), n += y[i] * y[i];
  return n > 0 ? std::sqrt(d / n) : std::sqrt(d);
}

// state_tolerance: for each tensor of the state, relative to one process's.
void expect_trains_as_one_process(const std::string& name, double state_tolerance = 1e-5) {
  ASSERT_TRUE(zoo::make_model(name, config())->gathers_rows()) << name;
  Trained one = train_model(name, false), split = train_model(name, true);
  double worst_loss = 0, worst_state = 0;
  std::string worst_name;
  for (int64_t s = 0; s < kSteps; ++s) {
    const double d =
        std::abs(split.losses[s] - one.losses[s]) / std::max(1.0, std::abs(one.losses[s]));
    EXPECT_LE(d, 1e-5) << name << " loss at step " << s << ": " << split.losses[s] << " vs "
                       << one.losses[s];
    worst_loss = std::max(worst_loss, d);
  }
  std::map<std::string, Tensor> ref;
  for (auto& [k, v] : one.model->state_dict()) ref[k] = v;
  for (auto& [k, v] : split.model->state_dict()) {
    const double d = relative_diff(v, ref.at(k));
    EXPECT_LE(d, state_tolerance) << name << " " << k << " differs from one process's";
    if (d > worst_state) worst_state = d, worst_name = k;
  }
  auto ga = one.model->generators(), gb = split.model->generators();
  for (size_t i = 0; i < ga.size(); ++i)
    EXPECT_EQ(gb[i].second->offset(), ga[i].second->offset()) << name << " " << ga[i].first;
  if (dist::World::get().is_root())
    std::printf(
        "%s: %lld steps on %d ranks, losses within %.1e of one process's, state within "
        "%.1e (%s)\n",
        name.c_str(), static_cast<long long>(kSteps), dist::World::get().size(), worst_loss,
        worst_state, worst_name.c_str());
}

#define SKIP_UNLESS_DISTRIBUTED()        \
  if (!dist::World::get().distributed()) \
  GTEST_SKIP() << "runs under mpirun (DistMpirun.ModelsTrainAsOneProcessOnTwoRanks)"
}  // namespace

TEST(DistTraining, HashNet) {
  SKIP_UNLESS_DISTRIBUTED();
  expect_trains_as_one_process("hashnet");
}
TEST(DistTraining, DpshWithHashLayerBatchNorm) {
  SKIP_UNLESS_DISTRIBUTED();
  expect_trains_as_one_process("dpsh");
}
TEST(DistTraining, Dsh) {
  SKIP_UNLESS_DISTRIBUTED();
  expect_trains_as_one_process("dsh");
}
TEST(DistTraining, DhnWithItsMemoryBank) {
  SKIP_UNLESS_DISTRIBUTED();
  expect_trains_as_one_process("dhn");
}
TEST(DistTraining, AdshWithItsDatabaseCodes) {
  SKIP_UNLESS_DISTRIBUTED();
  expect_trains_as_one_process("adsh");
}
// GreedyHash's classifier reads sign(u) in the forward pass: a u within rounding of 0, which
// the ranks' batch-norm sums (added in another order) put on the other side of 0, changes one
// code bit. Its losses still agree within 1e-6, but one such flip in 20 steps moved the first
// batch norm's bias by 5e-3 relative (seen with one choice of OpenBLAS kernels); its state is
// held to 1e-2.
TEST(DistTraining, GreedyHash) {
  SKIP_UNLESS_DISTRIBUTED();
  expect_trains_as_one_process("greedyhash", 1e-2);
}
TEST(DistTraining, CsqCentres) {
  SKIP_UNLESS_DISTRIBUTED();
  expect_trains_as_one_process("csq");
}

// The other models that gather rows: the pairwise and triplet recipes, DSDH's discrete codes,
// the metric-learning models and the attention, recurrent and transformer networks. DTSH's
// losses agree within 7.2e-7 but a few tensors of its state by up to 2e-4 (the first batch
// norm's bias), most likely from its quantisation gradient 2 (u - sign u), which jumps by 4 at
// u = 0, where a u that rounds differently on the ranks lands on the other side; its state is
// held to 1e-3.
TEST(DistTraining, EveryOtherModelThatGathersRows) {
  SKIP_UNLESS_DISTRIBUTED();
  for (const char* name :
       {"dch", "dsdh", "siamese", "triplet", "msloss", "attnhash", "rnnhash", "vithash"})
    expect_trains_as_one_process(name);
  expect_trains_as_one_process("dtsh", 1e-3);
}

TEST(DistMpirun, ModelsTrainAsOneProcessOnTwoRanks) {
  if (!dist::built_with_mpi()) GTEST_SKIP() << "built without MPI (ENGINE_MPI=OFF)";
  if (dist::World::get().distributed()) GTEST_SKIP() << "already a rank of an mpirun job";
  if (!he_test::have_mpirun()) GTEST_SKIP() << "mpirun not found";
  const std::string cmd = he_test::mpirun(2) + " -x OMP_NUM_THREADS=1 /proc/" +
                          std::to_string(getpid()) + "/exe --gtest_filter='DistTraining.*'";
  EXPECT_EQ(std::system(cmd.c_str()), 0) << cmd;
}
