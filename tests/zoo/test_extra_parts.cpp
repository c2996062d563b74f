// Multi-optimiser (adversarial) training in the zoo trainer: each part is stepped by its own
// optimiser on its own loss only (no gradient leaks from one part's loss into another's
// step), and the extra parts' optimiser states and losses round-trip through a checkpoint so
// that a resumed run continues bit for bit.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "zoo/checkpoint.h"
#include "zoo/trainer.h"

namespace he::zoo {
namespace {
namespace fs = std::filesystem;

// actor: fake = x * a; actor loss = mean(fake^2) - mean(fake * c) (it depends on the
// critic's c, as an actor's adversarial term does); critic loss = mean((fake.detach() * c -
// 1)^2) on the actor's output of the same batch.
class ToyAdversarial : public HashModel {
 public:
  explicit ToyAdversarial(uint64_t seed) {
    Generator g(seed);
    a = register_parameter("actor.a", Tensor::uniform({4}, -1, 1, g));
    c = register_parameter("critic.c", Tensor::uniform({4}, -1, 1, g));
  }
  Tensor encode(const Tensor& x) override { return mul(x.flatten(1), a); }
  Tensor loss(const TrainBatch& b, int64_t) override {
    Tensor fake = encode(b.images);
    fake_ = fake.detach();
    return sub(mean(mul(fake, fake)), mean(mul(fake, c)));
  }
  Tensor extra_loss(size_t part, const TrainBatch&, int64_t) override {
    EXPECT_EQ(part, 0u);
    return mean(pow(sub(mul(fake_, c), 1.0), 2.0));
  }
  std::unique_ptr<optim::Optimizer> make_optimizer(const ModelConfig& cfg) override {
    return make(a, cfg.lr);
  }
  std::vector<ExtraPart> make_extra_parts(const ModelConfig& cfg) override {
    std::vector<ExtraPart> parts;
    parts.push_back({"critic", make(c, cfg.lr)});
    return parts;
  }
  std::string loss_name() const override { return "actor"; }
  Tensor a, c;

 private:
  static std::unique_ptr<optim::Optimizer> make(const Tensor& p, double lr) {
    optim::AdamOptions o;
    o.lr = lr;
    return std::make_unique<optim::Adam>(std::vector<Tensor>{p}, o);
  }
  Tensor fake_;
};

TrainBatch batch(uint64_t seed) {
  Generator g(seed);
  TrainBatch b;
  b.images = Tensor::randn({8, 1, 2, 2}, g);
  return b;
}

TEST(ExtraParts, EachPartStepsOnItsOwnLossOnly) {
  ToyAdversarial m(1);
  ModelConfig cfg;
  cfg.lr = 0.05;
  auto main = m.make_optimizer(cfg);
  auto extra = m.make_extra_parts(cfg);
  const TrainBatch b = batch(2);
  // The expected first Adam step: -lr * sign(g) per element (bias-corrected m/sqrt(v) = g/|g|).
  Tensor a0 = m.a.detach().clone(), c0 = m.c.detach().clone();
  Tensor a = a0.clone().requires_grad_(), c = c0.clone();
  Tensor fake = mul(b.images.flatten(1), a);
  sub(mean(mul(fake, fake)), mean(mul(fake, c))).backward();
  const std::vector<float> ga = a.grad().to_vector<float>();
  Tensor c_alone = c0.clone().requires_grad_();  // the critic loss alone, no actor term
  mean(pow(sub(mul(fake.detach(), c_alone), 1.0), 2.0)).backward();
  const std::vector<float> gc = c_alone.grad().to_vector<float>();
  StepResult r = train_step(m, *main, extra, b, 0);
  ASSERT_TRUE(r.problem.empty()) << r.problem;
  ASSERT_EQ(r.losses.size(), 2u);
  const std::vector<float> av = m.a.detach().to_vector<float>(),
                           cv = m.c.detach().to_vector<float>(), a0v = a0.to_vector<float>(),
                           c0v = c0.to_vector<float>();
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(av[i], a0v[i] - 0.05 * (ga[i] > 0 ? 1 : -1), 1e-5) << i;
    EXPECT_NEAR(cv[i], c0v[i] - 0.05 * (gc[i] > 0 ? 1 : -1), 1e-5) << i;
  }
  EXPECT_FALSE(m.a.grad().defined() && m.c.grad().defined());  // cleared after the step
}

TEST(ExtraParts, CheckpointRestoresEveryOptimiserExactly) {
  const fs::path dir = fs::temp_directory_path() / ("he_parts_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string ckpt = (dir / "checkpoint.safetensors").string();
  ModelConfig cfg;
  cfg.lr = 0.01;
  TrainOptions o;
  ToyAdversarial m(3);
  auto main = m.make_optimizer(cfg);
  auto extra = m.make_extra_parts(cfg);
  RunPosition pos;
  for (int it = 0; it < 3; ++it) {
    StepResult r = train_step(m, *main, extra, batch(10 + it), it);
    pos.losses.push_back(static_cast<float>(r.losses[0]));
    pos.part_losses["critic"].push_back(static_cast<float>(r.losses[1]));
    pos.iteration++;
  }
  save_checkpoint(ckpt, m, *main, o, pos, extra);

  ToyAdversarial again(99);  // different weights: all must come from the file
  auto main2 = again.make_optimizer(cfg);
  auto extra2 = again.make_extra_parts(cfg);
  SafetensorsFile file = load_safetensors(ckpt);
  EXPECT_TRUE(file.tensors.count("optimizer_critic.state.0.0.exp_avg"));
  const RunPosition got = load_checkpoint(file, again, main2.get(), &extra2);
  EXPECT_EQ(got.losses, pos.losses);
  EXPECT_EQ(got.part_losses, pos.part_losses);
  // One more step from both: identical, bit for bit.
  train_step(m, *main, extra, batch(20), 3);
  train_step(again, *main2, extra2, batch(20), 3);
  const nn::NamedTensors p1 = m.named_parameters(), p2 = again.named_parameters();
  ASSERT_EQ(p1.size(), p2.size());
  for (size_t i = 0; i < p1.size(); ++i)
    EXPECT_EQ(std::memcmp(p1[i].second.raw_data(), p2[i].second.raw_data(), p1[i].second.nbytes()),
              0)
        << p1[i].first;
  // A model with a critic cannot resume from a checkpoint without one.
  save_checkpoint(ckpt, m, *main, o, pos);
  EXPECT_THROW(load_checkpoint(load_safetensors(ckpt), again, main2.get(), &extra2),
               std::runtime_error);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace he::zoo
