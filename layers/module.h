#pragma once
// Module: named parameters, buffers and submodules, with PyTorch's state_dict names
// ("features.0.weight", "bn.running_mean") so weights move between the two both ways.
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/engine.h"

namespace he::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

struct LoadReport {
  std::vector<std::string> missing, unexpected, mismatched;  // mismatched: "name: [a] vs [b]"
  bool ok() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  std::string str() const;
};

class Module {
 public:
  virtual ~Module() = default;
  virtual Tensor forward(const Tensor& x);
  Tensor operator()(const Tensor& x) { return forward(x); }
  virtual std::string name() const { return "Module"; }

  NamedTensors named_parameters() const;  // recursive, in registration order
  std::vector<Tensor> parameters() const;
  NamedTensors named_buffers() const;
  NamedTensors state_dict() const;  // parameters and buffers
  // Copies values into the existing tensors (handles held elsewhere stay valid). strict:
  // throws listing every missing, unexpected and mis-shaped key; otherwise loads what fits.
  LoadReport load_state_dict(const std::map<std::string, Tensor>& state, bool strict = true);

  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }
  void zero_grad();
  void to(Device d);  // moves every parameter and buffer in place
  int64_t num_parameters() const;

  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const {
    return children_;
  }

 protected:
  Tensor& register_parameter(const std::string& name, Tensor t);
  Tensor& register_buffer(const std::string& name, Tensor t);
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    children_.emplace_back(name, m);
    return m;
  }

 private:
  void collect(const std::string& prefix, bool params, bool buffers, NamedTensors& out) const;
  // Stable addresses: std::map nodes never move, so the references returned above stay valid.
  std::vector<std::string> param_names_, buffer_names_;
  std::map<std::string, Tensor> params_, buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
};

// Runs its children in order; state_dict names are "0.weight", "1.bias", ... as in PyTorch.
class Sequential : public Module {
 public:
  Sequential() = default;
  explicit Sequential(std::vector<std::shared_ptr<Module>> layers);
  void push_back(std::shared_ptr<Module> m);
  Tensor forward(const Tensor& x) override;
  std::string name() const override { return "Sequential"; }
  size_t size() const { return children().size(); }
  std::shared_ptr<Module> at(size_t i) const { return children()[i].second; }
};

}  // namespace he::nn
