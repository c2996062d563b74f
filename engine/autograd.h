#pragma once
// Define-by-run reverse-mode autodiff. An op that runs in grad mode with some input needing
// a gradient gets a Node: its inputs, a backward function that maps the output gradient to
// one gradient per input, and whatever that function captured (the saved tensors).
// backward() walks the nodes in reverse topological order (iteratively: a 10,000-op chain is
// fine), reduces broadcast gradients back to each input's shape in one place, and
// accumulates into leaf .grad.
#include <functional>
#include <string>
#include <vector>

#include "engine/tensor.h"

namespace he {

// Returns one gradient per input (an undefined Tensor for "no gradient").
using BackwardFn = std::function<std::vector<Tensor>(const Tensor& grad_output)>;

struct Node {
  std::string name;
  std::vector<Tensor> inputs;
  BackwardFn backward;  // reset after use unless the graph is retained
  bool freed = false;
};

// Grad mode is thread-local: the one mutable global the design allows.
bool grad_enabled();
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool prev_;
};

// True when an op on these inputs should record a node.
bool any_requires_grad(std::initializer_list<Tensor> inputs);
bool any_requires_grad(const std::vector<Tensor>& inputs);

// The custom-function API, used by every op and by fused kernels alike: `out` was computed
// without recording; when grad mode is on and an input requires grad, attach a node so that
// backward() calls `fn`. Captured tensors must not hold `out` itself (use out.detach()),
// or the node would keep its own output alive.
Tensor attach_grad_fn(Tensor out, std::vector<Tensor> inputs, const char* name, BackwardFn fn);

// Sums `grad` over broadcast dimensions so that it has `shape` (the inverse of expand).
Tensor sum_to(const Tensor& grad, const Shape& shape);

void run_backward(const Tensor& root, const Tensor& grad, bool retain_graph);

}  // namespace he
