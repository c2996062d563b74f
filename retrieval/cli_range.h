#pragma once
// Range checks for the numeric options of the command-line tools (hashsearch and the zoo
// binaries), so that every number is checked where it is parsed and a bad one is named with
// its allowed range: "--k: -5 is outside the allowed range [1, 100000000]". Header-only: the
// library itself does not depend on CLI11.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <string>
#include <type_traits>

namespace he::cli {

// A CLI11 check that the option's value, read as T, lies in [lo, hi]. T is the type the value
// is checked as, not necessarily the option's (a size_t option is checked as int64_t, so
// that -5 is reported as out of range instead of wrapping around).
template <class T>
CLI::Validator in_range(T lo, T hi) {
  return CLI::Validator(
      [lo, hi](std::string& in) -> std::string {
        T v{};
        const bool negative_unsigned = std::is_unsigned_v<T> && in.find('-') != std::string::npos;
        if (negative_unsigned || !CLI::detail::lexical_cast(in, v))
          return fmt::format("{} is not a number in the allowed range [{}, {}]", in, lo, hi);
        if (!(v >= lo && v <= hi))  // NaN fails too
          return fmt::format("{} is outside the allowed range [{}, {}]", in, lo, hi);
        return "";
      },
      fmt::format("in [{}, {}]", lo, hi));
}

}  // namespace he::cli
