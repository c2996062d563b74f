#pragma once
// Shared by the libFuzzer targets: every parser must either succeed or throw
// std::runtime_error; any other exception escapes and libFuzzer reports it as a crash, as it
// does an ASan/UBSan error, a hang (-timeout) or an allocation over -malloc_limit_mb.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>

// Checks an invariant of a successful parse; aborts (a finding) when it does not hold.
#define FUZZ_CHECK(cond)       \
  do {                         \
    if (!(cond)) std::abort(); \
  } while (0)

template <class F>
int fuzz_one(F&& parse) {
  try {
    parse();
  } catch (const std::runtime_error&) {
    // a clear rejection
  }
  return 0;
}
