// Every hashing loss runs in f32 and agrees with f64; memory-bank forms treat U as a constant;
// batch-size forms of the protocol run quickly.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "engine/engine.h"
#include "losses/generic.h"
#include "losses/hashing.h"
#include "losses/similarity.h"

namespace he {
namespace {

using LossFn = std::function<Tensor(const Tensor& u, const Tensor& S, const Tensor& y)>;

std::vector<std::pair<std::string, LossFn>> in_batch_losses() {
  return {
      {"dpsh", [](auto& u, auto& S, auto&) { return losses::dpsh(u, S); }},
      {"dhn", [](auto& u, auto& S, auto&) { return losses::dhn(u, S); }},
      {"dsh", [](auto& u, auto& S, auto&) { return losses::dsh(u, S); }},
      {"hashnet", [](auto& u, auto& S, auto&) { return losses::hashnet(tanh(u), S); }},
      {"dch", [](auto& u, auto& S, auto&) { return losses::dch(u, S); }},
      {"dtsh", [](auto& u, auto& S, auto&) { return losses::dtsh(u, S); }},
      {"greedy", [](auto& u, auto&, auto&) { return losses::greedy_hash_penalty(u); }},
      {"csq",
       [](auto& u, auto&, auto& y) {
         Tensor c = losses::hash_centers(10, u.size(1), 0, u.dtype());
         return losses::csq(u, losses::centers_for_labels(c, y));
       }},
      {"quantization", [](auto& u, auto&, auto&) { return losses::quantization_loss(u); }},
      {"bit_balance", [](auto& u, auto&, auto&) { return losses::bit_balance_loss(u); }},
      {"bit_decorrelation",
       [](auto& u, auto&, auto&) { return losses::bit_decorrelation_loss(u); }},
      {"triplet", [](auto& u, auto&, auto& y) { return losses::triplet_margin(u, y); }},
      {"contrastive", [](auto& u, auto&, auto& y) { return losses::contrastive_in_batch(u, y); }},
  };
}

Tensor random_labels(int64_t n, uint64_t seed) {
  Generator g(seed);
  std::vector<int64_t> y(n);
  for (auto& v : y) v = static_cast<int64_t>(g.below(10));
  return Tensor::from_vector(y);
}

TEST(LossDtypes, F32AgreesWithF64) {
  Generator g(3);
  Tensor u64 = Tensor::randn({16, 8}, g, DType::f64);
  Tensor y = random_labels(16, 4);
  for (auto& [name, f] : in_batch_losses()) {
    double a = f(u64, losses::similarity(y, DType::f64), y).item_double();
    Tensor u32 = u64.to(DType::f32);
    double b = f(u32, losses::similarity(y, DType::f32), y).item_double();
    EXPECT_NEAR(a, b, 1e-4 * (1 + std::abs(a))) << name;
  }
}

TEST(LossBank, MemoryBankIsAConstant) {
  Generator g(8);
  Tensor u = Tensor::randn({4, 8}, g, DType::f64).requires_grad_();
  Tensor U = Tensor::randn({12, 8}, g, DType::f64).requires_grad_();
  Tensor S = losses::similarity(random_labels(4, 1), random_labels(12, 2), DType::f64);
  for (auto loss :
       {losses::dpsh_bank(u, U, S), losses::dsh_bank(u, U, S), losses::dhn_bank(u, U, S),
        losses::hashnet_bank(tanh(u), U, S), losses::dch_bank(u, U, S)}) {
    u.zero_grad();
    loss.backward();
    EXPECT_TRUE(u.grad().defined());
    EXPECT_FALSE(U.grad().defined());
  }
}

// Protocol sizes (timed in bench/bench_losses.cpp, never here): the gradients stay finite.
TEST(LossScale, ProtocolBatchForwardBackward) {
  Generator g(9);
  Tensor u = Tensor::randn({128, 64}, g, DType::f32).requires_grad_();
  Tensor y = random_labels(128, 5);
  Tensor S = losses::similarity(y);
  for (auto& [name, f] : in_batch_losses()) {
    u.zero_grad();
    f(u, S, y).backward();
    ASSERT_TRUE(u.grad().defined()) << name;
    EXPECT_TRUE(std::isfinite(sum(u.grad()).item<double>())) << name;
  }
}

TEST(LossScale, MemoryBankOfTheTrainingSet) {
  // B=128 against the 60,000-row bank of the Fashion-MNIST training set, 64 bits.
  Generator g(10);
  Tensor u = Tensor::randn({128, 64}, g, DType::f32).requires_grad_();
  Tensor U = Tensor::randn({60000, 64}, g, DType::f32);
  Tensor S = losses::similarity(random_labels(128, 6), random_labels(60000, 7));
  losses::dpsh_bank(u, U, S).backward();
  losses::dsh_bank(u, U, S).backward();
  EXPECT_TRUE(std::isfinite(sum(u.grad()).item<double>()));
}

}  // namespace
}  // namespace he
