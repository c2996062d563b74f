#pragma once
// The PyTorch parity fixture (tests/nn/fixtures/torch_parity.safetensors, written by
// tests/nn/torch_parity.py): per case <c> the tensors "<c>.input", "<c>.param.<name>",
// "<c>.upstream", "<c>.output", "<c>.grad.input", "<c>.grad.param.<name>", "<c>.after.<name>",
// and the metadata entry "torch_parity", JSON {"torch_version", "seed", "cases": {<c>: the
// case's hyperparameters}}. Shared by tests/nn and tests/zoo.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/io/safetensors.h"

namespace he::testing {

// Tolerance: |got - want| <= atol + rtol * |want| elementwise. The reference is PyTorch's f64
// result rounded to f32, so the f32 bound covers only the engine's own f32 rounding.
struct Tolerance {
  double atol, rtol;
};
inline Tolerance parity_tolerance(DType dt) {
  return dt == DType::f64 ? Tolerance{1e-10, 1e-10} : Tolerance{1e-4, 1e-4};
}

inline const SafetensorsFile& parity_fixture() {
  static const SafetensorsFile file =
      load_safetensors(std::string(HE_TEST_SOURCE_DIR) + "/nn/fixtures/torch_parity.safetensors");
  return file;
}

class ParityCase {
 public:
  explicit ParityCase(std::string name) : name_(std::move(name)) {
    const Metadata& md = parity_fixture().metadata;
    auto it = md.find("torch_parity");
    if (it == md.end())
      throw std::runtime_error("torch parity fixture: no 'torch_parity' metadata");
    const auto cases = nlohmann::json::parse(it->second).at("cases");
    if (!cases.contains(name_)) throw std::runtime_error("torch parity fixture: no case " + name_);
    meta = cases.at(name_);
  }
  const std::string& name() const { return name_; }
  bool has(const std::string& key) const {
    return parity_fixture().tensors.count(name_ + "." + key) > 0;
  }
  // A fresh copy, so the test may set requires_grad on it.
  Tensor get(const std::string& key) const {
    auto it = parity_fixture().tensors.find(name_ + "." + key);
    if (it == parity_fixture().tensors.end())
      throw std::runtime_error("torch parity fixture: no tensor " + name_ + "." + key);
    return it->second.clone();
  }
  // Every "<case>.<prefix>.<name>" as name -> tensor (prefix "param": the state_dict).
  std::map<std::string, Tensor> group(const std::string& prefix) const {
    std::map<std::string, Tensor> out;
    const std::string head = name_ + "." + prefix + ".";
    for (const auto& [k, t] : parity_fixture().tensors)
      if (k.rfind(head, 0) == 0) out[k.substr(head.size())] = t.clone();
    return out;
  }
  nlohmann::json meta;

 private:
  std::string name_;
};

// Compares shapes and values; reports the worst element. `max_err` receives max |got - want|.
inline ::testing::AssertionResult parity_close(const Tensor& got, const Tensor& want, Tolerance tol,
                                               double* max_err = nullptr) {
  if (!got.defined()) return ::testing::AssertionFailure() << "no value (gradient not computed?)";
  if (got.shape() != want.shape())
    return ::testing::AssertionFailure()
           << "shape " << got.shape_str() << " vs PyTorch " << want.shape_str();
  std::vector<double> g = got.to(DType::f64).to_vector<double>();
  std::vector<double> w = want.to(DType::f64).to_vector<double>();
  double worst = 0, worst_excess = -1;
  size_t at = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    const double err = std::abs(g[i] - w[i]);
    worst = std::max(worst, std::isnan(err) ? INFINITY : err);
    const double excess = err - (tol.atol + tol.rtol * std::abs(w[i]));
    if (std::isnan(err) || excess > worst_excess)
      worst_excess = std::isnan(err) ? INFINITY : excess, at = i;
  }
  if (max_err) *max_err = worst;
  if (worst_excess > 0)
    return ::testing::AssertionFailure()
           << "element " << at << ": " << g[at] << " vs PyTorch " << w[at] << " (max abs err "
           << worst << ", atol " << tol.atol << ", rtol " << tol.rtol << ")";
  return ::testing::AssertionSuccess();
}

// Checks one named quantity, records its max abs error as a test property and prints it.
#define HE_EXPECT_PARITY(got, c, key, tol)                                      \
  do {                                                                          \
    double err_ = 0;                                                            \
    EXPECT_TRUE(::he::testing::parity_close((got), (c).get(key), (tol), &err_)) \
        << (c).name() << "." << (key);                                          \
    ::testing::Test::RecordProperty(std::string(key), std::to_string(err_));    \
    std::printf("[ parity   ] %s.%s max abs err %.3g\n", (c).name().c_str(),    \
                std::string(key).c_str(), err_);                                \
  } while (0)

// U[lo,hi) from murmur3's fmix32 of (index * 0x9E3779B1 + salt): the same bits as
// torch_parity.py's hashed_uniform, for parameters too big to store in the fixture.
inline Tensor hashed_uniform(const Shape& shape, double lo, double hi, uint32_t salt) {
  std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
  for (size_t i = 0; i < v.size(); ++i) {
    uint32_t h = static_cast<uint32_t>(i) * 0x9E3779B1u + salt;
    h ^= h >> 16;
    h *= 0x85EBCA6Bu;
    h ^= h >> 13;
    h *= 0xC2B2AE35u;
    h ^= h >> 16;
    v[i] = static_cast<float>(lo + (hi - lo) * (static_cast<double>(h >> 8) / 16777216.0));
  }
  return Tensor::from_vector<float>(v, shape);
}

}  // namespace he::testing
