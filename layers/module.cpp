#include "layers/module.h"

#include <fmt/format.h>

#include <functional>
#include <stdexcept>

#include "layers/basic.h"
#include "layers/norm.h"

namespace he::nn {

std::string LoadReport::str() const {
  std::string s;
  if (!missing.empty()) s += fmt::format("missing keys: {}; ", fmt::join(missing, ", "));
  if (!unexpected.empty()) s += fmt::format("unexpected keys: {}; ", fmt::join(unexpected, ", "));
  if (!mismatched.empty()) s += fmt::format("shape mismatches: {}; ", fmt::join(mismatched, ", "));
  return s.empty() ? "all keys matched" : s.substr(0, s.size() - 2);
}

Tensor Module::forward(const Tensor&) {
  throw std::logic_error(name() + " has no single-input forward; call its own method");
}

Tensor& Module::register_parameter(const std::string& name, Tensor t) {
  if (params_.count(name) || buffers_.count(name))
    throw std::logic_error("register_parameter: duplicate name " + name);
  t.requires_grad_(true);
  param_names_.push_back(name);
  return params_[name] = t;
}

Tensor& Module::register_buffer(const std::string& name, Tensor t) {
  if (params_.count(name) || buffers_.count(name))
    throw std::logic_error("register_buffer: duplicate name " + name);
  buffer_names_.push_back(name);
  return buffers_[name] = t;
}

void Module::collect(const std::string& prefix, bool params, bool buffers,
                     NamedTensors& out) const {
  if (params)
    for (const auto& n : param_names_) out.emplace_back(prefix + n, params_.at(n));
  if (buffers)
    for (const auto& n : buffer_names_) out.emplace_back(prefix + n, buffers_.at(n));
  for (const auto& [n, child] : children_) child->collect(prefix + n + ".", params, buffers, out);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  collect("", true, false, out);
  return out;
}
std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [n, t] : named_parameters()) out.push_back(t);
  return out;
}
NamedTensors Module::named_buffers() const {
  NamedTensors out;
  collect("", false, true, out);
  return out;
}
NamedTensors Module::state_dict() const {
  // PyTorch orders each module's parameters, then its buffers, then its children.
  NamedTensors out;
  std::function<void(const Module*, const std::string&)> walk = [&](const Module* m,
                                                                    const std::string& p) {
    for (const auto& n : m->param_names_) out.emplace_back(p + n, m->params_.at(n));
    for (const auto& n : m->buffer_names_) out.emplace_back(p + n, m->buffers_.at(n));
    for (const auto& [n, child] : m->children_) walk(child.get(), p + n + ".");
  };
  walk(this, "");
  return out;
}

LoadReport Module::load_state_dict(const std::map<std::string, Tensor>& state, bool strict) {
  LoadReport report;
  NamedTensors mine = state_dict();
  std::map<std::string, bool> seen;
  for (auto& [name, t] : mine) {
    auto it = state.find(name);
    if (it == state.end()) {
      report.missing.push_back(name);
      continue;
    }
    seen[name] = true;
    if (it->second.shape() != t.shape())
      report.mismatched.push_back(fmt::format("{}: checkpoint {} vs model {}", name,
                                              it->second.shape_str(), t.shape_str()));
  }
  for (const auto& [name, t] : state)
    if (!seen.count(name)) report.unexpected.push_back(name);
  if (strict && !report.ok()) throw std::runtime_error("load_state_dict: " + report.str());
  NoGradGuard guard;
  for (auto& [name, t] : mine) {
    auto it = state.find(name);
    if (it == state.end() || it->second.shape() != t.shape()) continue;
    Tensor dst = t;
    dst.copy_(it->second.to(t.device()).to(t.dtype()));
  }
  return report;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [n, c] : children_) c->train(on);
}

void Module::zero_grad() {
  for (Tensor& p : parameters()) p.zero_grad();
}

void Module::to(Device d) {
  for (auto& [name, t] : state_dict()) {
    if (t.device() == d) continue;
    Tensor moved = t.detach().to(d);
    // Swap the storage under the existing handle so every holder sees the move.
    t.impl()->storage = moved.impl()->storage;
    t.impl()->strides = moved.impl()->strides;
    t.impl()->offset = 0;
    t.zero_grad();
  }
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (auto& [name, t] : named_parameters()) n += t.numel();
  return n;
}

Sequential::Sequential(std::vector<std::shared_ptr<Module>> layers) {
  for (auto& l : layers) push_back(std::move(l));
}
void Sequential::push_back(std::shared_ptr<Module> m) {
  register_module(std::to_string(size()), std::move(m));
}
Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  const auto& layers = children();
  for (size_t i = 0; i < layers.size(); ++i) {
    // A batch norm and the 2x2 max pool after it run as one op (layers/norm.h).
    auto* bn = dynamic_cast<BatchNorm*>(layers[i].second.get());
    auto* pool =
        i + 1 < layers.size() ? dynamic_cast<MaxPool2d*>(layers[i + 1].second.get()) : nullptr;
    if (bn && pool && pool->is_2x2()) {
      h = bn->forward_max_pool2x2(h);
      ++i;
    } else {
      h = layers[i].second->forward(h);
    }
  }
  return h;
}

}  // namespace he::nn
