// The SIGINT handler comes back however training ends.
#include <gtest/gtest.h>

#include <csignal>
#include <stdexcept>

#include "zoo/trainer.h"

namespace he::zoo {
namespace {

void on_test_sigint(int) {}

TEST(SigintGuard, RestoresTheHandlerWhenTrainingThrows) {
  auto previous = std::signal(SIGINT, on_test_sigint);
  try {
    SigintGuard guard;
    EXPECT_FALSE(guard.interrupted());
    std::raise(SIGINT);  // caught by the guard's handler: the flag, not the test's handler
    EXPECT_TRUE(guard.interrupted());
    throw std::runtime_error("a step failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(std::signal(SIGINT, previous), &on_test_sigint);
}

}  // namespace
}  // namespace he::zoo
