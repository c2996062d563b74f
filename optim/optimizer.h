#pragma once
// Optimiser base: parameter groups, the step/zero_grad loop, per-parameter state, and the
// state dict a checkpoint keeps for an exact resume. Each optimiser (optim/optimizers.h)
// only writes its fused per-parameter update; this file owns everything around it.
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace he::optim {

// A set of parameters sharing hyperparameters (a hash layer often trains at 10x the
// backbone's rate). A NaN lr or weight_decay means "the optimiser's option". base_lr is the
// rate schedules scale from; it is set to lr when the optimiser is built.
struct ParamGroup {
  static constexpr double kUnset = std::numeric_limits<double>::quiet_NaN();
  std::vector<Tensor> params;
  double lr = kUnset;
  double weight_decay = kUnset;
  double base_lr = kUnset;
};

// One group holding `params`, every hyperparameter from the optimiser's options.
inline std::vector<ParamGroup> single_group(std::vector<Tensor> params) {
  return {ParamGroup{std::move(params)}};
}

// Parameters below this many elements are updated by one thread.
inline constexpr int64_t kUpdateParallelGrain = 1 << 15;

// Optimiser state as named tensors and scalars:
//   tensors["state.<group>.<index>.<buffer>"]   e.g. state.0.3.exp_avg
//   scalars["state.<group>.<index>.step"], scalars["group.<group>.lr"], ".base_lr",
//   ".weight_decay".
// The trainer saves the tensors in a safetensors checkpoint and the scalars in its metadata.
struct StateDict {
  std::map<std::string, Tensor> tensors;
  std::map<std::string, double> scalars;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update of every parameter that has a gradient (parameters without one are skipped,
  // as in PyTorch). Never records autograd.
  void step();
  // Drops every parameter's gradient (the next backward() starts from nothing).
  void zero_grad();

  std::vector<ParamGroup>& groups() { return groups_; }
  const std::vector<ParamGroup>& groups() const { return groups_; }
  size_t num_groups() const { return groups_.size(); }
  double lr(size_t group) const;
  void set_lr(size_t group, double lr);
  double base_lr(size_t group) const;
  void set_lr_all(double lr);  // every group

  // Tensors are copies (later steps do not change a saved dict).
  StateDict state_dict() const;
  // Throws std::invalid_argument, naming the key, when the dict does not match this
  // optimiser's groups and parameters (count, shape, dtype). Buffers are copied in.
  void load_state_dict(const StateDict& dict);
  virtual const char* name() const = 0;

 protected:
  // Fills unset lr / weight_decay from the defaults and checks every parameter (defined,
  // floating dtype).
  Optimizer(std::vector<ParamGroup> groups, double default_lr, double default_weight_decay);

  struct ParamState {
    int64_t step = 0;
    std::map<std::string, Tensor> buffers;  // same shape and dtype as the parameter
  };
  // The buffer `name` of `state`, created as zeros like `param` when missing; `created` (if
  // given) is set to whether it was just made.
  static Tensor& buffer(ParamState& state, const std::string& name, const Tensor& param,
                        bool* created = nullptr);
  // p and grad are contiguous, same dtype and shape, on the CPU.
  virtual void update(const ParamGroup& group, ParamState& state, Tensor& p,
                      const Tensor& grad) = 0;
  // The buffer names this optimiser creates (checked by load_state_dict).
  virtual std::vector<std::string> buffer_names() const = 0;

 private:
  std::vector<ParamGroup> groups_;
  std::vector<std::vector<ParamState>> state_;  // [group][index]
};

// Scales all gradients so that their joint p-norm is at most max_norm (PyTorch's
// clip_grad_norm_: coefficient max_norm / (total + 1e-6), applied only when below 1).
// Parameters without a gradient are skipped. norm_type may be infinity. Returns the total
// norm before clipping (NaN or inf when some gradient is not finite; nothing is scaled then).
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm, double norm_type = 2);

// The index in `params` of the first parameter whose gradient holds a NaN or an infinity,
// or -1 when all are finite (the trainer's NaN guard).
int64_t first_nonfinite_grad(const std::vector<Tensor>& params);

// All parameters of all groups, in order (for clip_grad_norm and first_nonfinite_grad).
std::vector<Tensor> all_params(const std::vector<ParamGroup>& groups);

}  // namespace he::optim
