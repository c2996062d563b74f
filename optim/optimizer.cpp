// Optimizer base: groups, the step loop, state dicts; gradient clipping and the NaN guard.
#include "optim/optimizer.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>
#include <vector>

#include "engine/autograd.h"
#include "engine/ops/dispatch.h"
#include "kernels/optim.h"

namespace he::optim {

Optimizer::Optimizer(std::vector<ParamGroup> groups, double default_lr, double default_weight_decay)
    : groups_(std::move(groups)) {
  for (size_t g = 0; g < groups_.size(); ++g) {
    ParamGroup& group = groups_[g];
    if (std::isnan(group.lr)) group.lr = default_lr;
    if (std::isnan(group.weight_decay)) group.weight_decay = default_weight_decay;
    if (std::isnan(group.base_lr)) group.base_lr = group.lr;
    if (!(group.lr >= 0))
      throw std::invalid_argument(
          fmt::format("optimiser: group {} has invalid lr {}", g, group.lr));
    if (!(group.weight_decay >= 0))
      throw std::invalid_argument(
          fmt::format("optimiser: group {} has invalid weight_decay {}", g, group.weight_decay));
    for (size_t i = 0; i < group.params.size(); ++i) {
      const Tensor& p = group.params[i];
      if (!p.defined())
        throw std::invalid_argument(fmt::format("optimiser: parameter {}.{} is undefined", g, i));
      if (!is_floating(p.dtype()))
        throw std::invalid_argument(
            fmt::format("optimiser: parameter {}.{} has dtype {}, expected "
                        "f32 or f64",
                        g, i, dtype_name(p.dtype())));
    }
    state_.emplace_back(group.params.size());
  }
  // A parameter listed twice would be updated twice per step (PyTorch refuses it too).
  std::set<const TensorImpl*> seen;
  for (size_t g = 0; g < groups_.size(); ++g)
    for (size_t i = 0; i < groups_[g].params.size(); ++i)
      if (!seen.insert(groups_[g].params[i].impl()).second)
        throw std::invalid_argument(
            fmt::format("optimiser: parameter {}.{} appears more than once", g, i));
}

double Optimizer::lr(size_t group) const { return groups_.at(group).lr; }
void Optimizer::set_lr(size_t group, double lr) { groups_.at(group).lr = lr; }
double Optimizer::base_lr(size_t group) const { return groups_.at(group).base_lr; }
void Optimizer::set_lr_all(double lr) {
  for (ParamGroup& g : groups_) g.lr = lr;
}

Tensor& Optimizer::buffer(ParamState& state, const std::string& name, const Tensor& param,
                          bool* created) {
  auto it = state.buffers.find(name);
  const bool make = it == state.buffers.end();
  if (make)
    it = state.buffers.emplace(name, Tensor::zeros(param.shape(), param.dtype(), param.device()))
             .first;
  if (created) *created = make;
  return it->second;
}

void Optimizer::step() {
  NoGradGuard no_grad;
  for (size_t g = 0; g < groups_.size(); ++g) {
    const ParamGroup& group = groups_[g];
    for (size_t i = 0; i < group.params.size(); ++i) {
      const Tensor& param = group.params[i];
      const Tensor grad_any = param.grad();
      if (!grad_any.defined()) continue;
      if (grad_any.shape() != param.shape() || grad_any.dtype() != param.dtype())
        throw std::invalid_argument(
            fmt::format("{}.step: parameter {}.{} is {} {} but its gradient is {} {}", name(), g, i,
                        param.shape_str(), dtype_name(param.dtype()), grad_any.shape_str(),
                        dtype_name(grad_any.dtype())));
      if (!(grad_any.device() == param.device()))
        throw std::invalid_argument(
            fmt::format("{}.step: parameter {}.{} {} is on {} but its gradient is on {}", name(), g,
                        i, param.shape_str(), param.device().str(), grad_any.device().str()));
      // The update kernels run over contiguous memory on the parameter's device. A view
      // parameter is updated in a contiguous copy on that device, written back.
      const bool direct = param.is_contiguous();
      Tensor p = direct ? param : param.detach().contiguous();  // a copy
      Tensor grad = grad_any.contiguous();
      update(group, state_[g][i], p, grad);
      if (!direct) {
        Tensor target = param;  // a handle copy; copy_ writes the shared storage
        target.copy_(p);
      }
    }
  }
}

void Optimizer::zero_grad() {
  for (ParamGroup& group : groups_)
    for (Tensor& p : group.params) p.zero_grad();
}

StateDict Optimizer::state_dict() const {
  StateDict dict;
  for (size_t g = 0; g < groups_.size(); ++g) {
    const std::string gp = fmt::format("group.{}.", g);
    dict.scalars[gp + "lr"] = groups_[g].lr;
    dict.scalars[gp + "base_lr"] = groups_[g].base_lr;
    dict.scalars[gp + "weight_decay"] = groups_[g].weight_decay;
    for (size_t i = 0; i < state_[g].size(); ++i) {
      const ParamState& s = state_[g][i];
      if (s.step == 0 && s.buffers.empty()) continue;  // never updated
      const std::string sp = fmt::format("state.{}.{}.", g, i);
      dict.scalars[sp + "step"] = static_cast<double>(s.step);
      for (const auto& [name, buf] : s.buffers) dict.tensors[sp + name] = buf.clone();
    }
  }
  return dict;
}

namespace {

// "state.<g>.<i>.<rest>" -> (g, i, rest); false when the key has another form.
bool parse_state_key(const std::string& key, size_t& g, size_t& i, std::string& rest) {
  if (key.rfind("state.", 0) != 0) return false;
  const size_t a = key.find('.', 6);
  if (a == std::string::npos) return false;
  const size_t b = key.find('.', a + 1);
  if (b == std::string::npos) return false;
  try {
    size_t used = 0;
    g = std::stoul(key.substr(6, a - 6), &used);
    if (used != a - 6) return false;
    i = std::stoul(key.substr(a + 1, b - a - 1), &used);
    if (used != b - a - 1) return false;
  } catch (const std::exception&) {
    return false;
  }
  rest = key.substr(b + 1);
  return true;
}

}  // namespace

void Optimizer::load_state_dict(const StateDict& dict) {
  const std::string who = std::string(name()) + ".load_state_dict";
  // Validate everything first, so a bad dict leaves the optimiser untouched.
  std::vector<std::vector<ParamState>> fresh(groups_.size());
  for (size_t g = 0; g < groups_.size(); ++g) fresh[g].resize(groups_[g].params.size());
  auto locate = [&](const std::string& key, size_t& g, size_t& i, std::string& rest) {
    if (!parse_state_key(key, g, i, rest) || g >= groups_.size() || i >= groups_[g].params.size())
      throw std::invalid_argument(
          fmt::format("{}: key '{}' names no parameter of this optimiser ({} groups)", who, key,
                      groups_.size()));
  };
  const std::vector<std::string> known = buffer_names();
  for (const auto& [key, t] : dict.tensors) {
    size_t g, i;
    std::string rest;
    locate(key, g, i, rest);
    if (std::find(known.begin(), known.end(), rest) == known.end())
      throw std::invalid_argument(
          fmt::format("{}: unknown buffer '{}' in key '{}'", who, rest, key));
    const Tensor& p = groups_[g].params[i];
    if (!t.defined() || t.shape() != p.shape() || t.dtype() != p.dtype())
      throw std::invalid_argument(fmt::format("{}: '{}' is {} {} but the parameter is {} {}", who,
                                              key, t.defined() ? t.shape_str() : "undefined",
                                              t.defined() ? dtype_name(t.dtype()) : "",
                                              p.shape_str(), dtype_name(p.dtype())));
    fresh[g][i].buffers[rest] = t.detach().to(p.device()).clone();
  }
  std::vector<double> lrs(groups_.size()), base(groups_.size()), wd(groups_.size());
  for (size_t g = 0; g < groups_.size(); ++g) {
    auto get = [&](const char* field) {
      const std::string key = fmt::format("group.{}.{}", g, field);
      auto it = dict.scalars.find(key);
      if (it == dict.scalars.end())
        throw std::invalid_argument(fmt::format("{}: missing scalar '{}'", who, key));
      return it->second;
    };
    lrs[g] = get("lr");
    base[g] = get("base_lr");
    wd[g] = get("weight_decay");
  }
  for (const auto& [key, value] : dict.scalars) {
    if (key.rfind("group.", 0) == 0) {
      size_t g = 0;
      if (std::sscanf(key.c_str(), "group.%zu.", &g) != 1 || g >= groups_.size())
        throw std::invalid_argument(fmt::format(
            "{}: key '{}' names no group of this optimiser ({} groups)", who, key, groups_.size()));
      continue;
    }
    size_t g, i;
    std::string rest;
    locate(key, g, i, rest);
    if (rest != "step" || !(value >= 0) || value != std::floor(value))
      throw std::invalid_argument(fmt::format("{}: bad scalar '{}' = {}", who, key, value));
    fresh[g][i].step = static_cast<int64_t>(value);
  }
  state_ = std::move(fresh);
  for (size_t g = 0; g < groups_.size(); ++g) {
    groups_[g].lr = lrs[g];
    groups_[g].base_lr = base[g];
    groups_[g].weight_decay = wd[g];
  }
}

// ---- clipping and the NaN guard ----

std::vector<Tensor> all_params(const std::vector<ParamGroup>& groups) {
  std::vector<Tensor> out;
  for (const ParamGroup& g : groups) out.insert(out.end(), g.params.begin(), g.params.end());
  return out;
}

namespace {

// sum |g|^p (or max |g| when p is infinite) over one gradient, in double, on its device.
double grad_norm_part(const Tensor& grad, double p) {
  const Tensor g = grad.contiguous();
  return dispatch_floating(g.dtype(), "clip_grad_norm", [&]<class T>() {
    const T* x = g.data_ptr<T>();
    return detail::on_device(g.device(), [&](auto backend) {
      if constexpr (backend.cuda)
        return kernels::cuda::grad_norm_part(x, g.numel(), p);
      else
        return kernels::cpu::grad_norm_part(x, g.numel(), p);
    });
  });
}

}  // namespace

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm, double norm_type) {
  if (!(norm_type > 0))
    throw std::invalid_argument(fmt::format("clip_grad_norm: norm_type {} must be > 0", norm_type));
  if (!(max_norm >= 0))
    throw std::invalid_argument(fmt::format("clip_grad_norm: max_norm {} must be >= 0", max_norm));
  const bool inf = std::isinf(norm_type);
  double acc = 0;
  bool nan = false;
  for (const Tensor& p : params) {
    const Tensor g = p.defined() ? p.grad() : Tensor();
    if (!g.defined()) continue;
    const double part = grad_norm_part(g, norm_type);
    nan = nan || std::isnan(part);
    acc = inf ? std::max(acc, part) : acc + part;
  }
  const double total = nan ? std::nan("") : inf ? acc : std::pow(acc, 1.0 / norm_type);
  if (!std::isfinite(total)) return total;
  const double coef = max_norm / (total + 1e-6);
  if (coef >= 1) return total;
  NoGradGuard no_grad;
  for (const Tensor& p : params) {
    if (!p.defined() || !p.grad().defined()) continue;
    Tensor g = p.grad();
    Tensor c = g.contiguous();  // g itself when contiguous, else a copy written back
    dispatch_floating(c.dtype(), "clip_grad_norm", [&]<class T>() {
      T* x = c.data_ptr<T>();
      detail::on_device(c.device(), [&](auto backend) {
        if constexpr (backend.cuda)
          kernels::cuda::scale(x, c.numel(), coef);
        else
          kernels::cpu::scale(x, c.numel(), coef);
      });
    });
    if (!c.same(g)) g.copy_(c);
  }
  return total;
}

int64_t first_nonfinite_grad(const std::vector<Tensor>& params) {
  for (size_t i = 0; i < params.size(); ++i) {
    if (!params[i].defined() || !params[i].grad().defined()) continue;
    const Tensor g = params[i].grad().contiguous();
    const bool bad = dispatch_floating(g.dtype(), "first_nonfinite_grad", [&]<class T>() {
      const T* x = g.data_ptr<T>();
      return detail::on_device(g.device(), [&](auto backend) {
        if constexpr (backend.cuda)
          return kernels::cuda::any_nonfinite(x, g.numel());
        else
          return kernels::cpu::any_nonfinite(x, g.numel());
      });
    });
    if (bad) return static_cast<int64_t>(i);
  }
  return -1;
}

}  // namespace he::optim
