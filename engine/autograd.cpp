#include "engine/autograd.h"

#include <fmt/format.h>

#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "engine/ops.h"

namespace he {

namespace {
thread_local bool g_grad_enabled = true;
}

bool grad_enabled() { return g_grad_enabled; }
NoGradGuard::NoGradGuard() : prev_(g_grad_enabled) { g_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { g_grad_enabled = prev_; }

bool any_requires_grad(const std::vector<Tensor>& inputs) {
  if (!g_grad_enabled) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}
bool any_requires_grad(std::initializer_list<Tensor> inputs) {
  return any_requires_grad(std::vector<Tensor>(inputs));
}

Tensor attach_grad_fn(Tensor out, std::vector<Tensor> inputs, const char* name, BackwardFn fn) {
  if (!any_requires_grad(inputs)) return out;
  auto node = std::make_shared<Node>();
  node->name = name;
  node->inputs = std::move(inputs);
  node->backward = std::move(fn);
  // `out` may be a view sharing an impl with nobody else; give it its own impl so the node
  // never lands on a tensor someone else holds.
  Tensor result = out.impl()->grad_fn || out.requires_grad() ? out.detach() : out;
  result.impl()->requires_grad = true;
  result.impl()->grad_fn = std::move(node);
  return result;
}

Tensor sum_to(const Tensor& grad, const Shape& shape) {
  if (grad.shape() == shape) return grad;
  const int64_t lead = grad.dim() - static_cast<int64_t>(shape.size());
  if (lead < 0)
    throw std::logic_error("sum_to: gradient " + grad.shape_str() + " has fewer dims than " +
                           shape_to_string(shape));
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < grad.dim(); ++d)
    if (d < lead || (shape[d - lead] == 1 && grad.shape()[d] != 1)) dims.push_back(d);
  Tensor r = dims.empty() ? grad : sum(grad, dims, true);
  return r.reshape(shape);
}

namespace {
// Reverse topological order of the nodes reachable from `root` (iterative DFS).
std::vector<Node*> topo_order(Node* root) {
  std::vector<Node*> order;
  std::unordered_set<Node*> seen{root};
  std::vector<std::pair<Node*, size_t>> stack{{root, 0}};
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    if (next < node->inputs.size()) {
      const Tensor& in = node->inputs[next++];
      Node* child = in.defined() ? in.impl()->grad_fn.get() : nullptr;
      if (child && seen.insert(child).second) stack.push_back({child, 0});
    } else {
      order.push_back(node);
      stack.pop_back();
    }
  }
  std::reverse(order.begin(), order.end());  // root first
  return order;
}

// A leaf's .grad owns its memory: gradients of different inputs may share storage (add
// passes one tensor to both), and optimisers modify .grad in place. A gradient no other
// handle or view holds is adopted as it is; anything shared is copied.
Tensor owned(Tensor g) {
  const bool sole =
      g.impl_ptr().use_count() == 1 && g.impl()->storage.use_count() == 1 && g.is_contiguous();
  return sole ? g : g.clone();
}

void accumulate(Tensor& slot, const Tensor& g) {
  if (!slot.defined()) {
    slot = g;
  } else {
    NoGradGuard guard;
    slot = add(slot, g);
  }
}
}  // namespace

void run_backward(const Tensor& root, const Tensor& grad, bool retain_graph) {
  if (!root.requires_grad())
    throw std::invalid_argument("backward: tensor " + root.shape_str() +
                                " does not require grad (no input of its graph requires grad)");
  Tensor g0 = grad;
  if (!g0.defined()) {
    if (root.numel() != 1)
      throw std::invalid_argument(
          "backward: an implicit gradient needs a one-element output, got " + root.shape_str() +
          "; pass the output gradient explicitly");
    g0 = Tensor::ones(root.shape(), root.dtype(), root.device());
  } else if (g0.shape() != root.shape()) {
    throw std::invalid_argument("backward: gradient " + g0.shape_str() + " does not match output " +
                                root.shape_str());
  }
  NoGradGuard guard;  // backward functions build no graph (no double backward)
  Node* top = root.impl()->grad_fn.get();
  if (!top) {  // a leaf
    Tensor slot(root.impl()->grad);
    accumulate(slot, slot.defined() ? g0 : g0.clone());
    root.impl()->grad = slot.impl_ptr();
    return;
  }
  std::unordered_map<Node*, Tensor> grads{{top, g0}};
  for (Node* node : topo_order(top)) {
    auto it = grads.find(node);
    if (it == grads.end()) continue;  // no gradient reached this node
    Tensor g = std::move(it->second);
    grads.erase(it);
    if (node->freed)
      throw std::runtime_error("backward: the graph through '" + node->name +
                               "' was already freed by an earlier backward(); pass "
                               "retain_graph=true to the first call to backward twice");
    std::vector<Tensor> in_grads = node->backward(g);
    if (in_grads.size() != node->inputs.size())
      throw std::logic_error(fmt::format("backward of '{}' returned {} gradients for {} inputs",
                                         node->name, in_grads.size(), node->inputs.size()));
    for (size_t i = 0; i < in_grads.size(); ++i) {
      const Tensor& in = node->inputs[i];
      if (!in.defined() || !in.requires_grad() || !in_grads[i].defined()) continue;
      Tensor gi = sum_to(in_grads[i], in.shape());  // the one place broadcasting is undone
      in_grads[i] = Tensor();                       // so that `owned` can see a sole handle
      if (Node* child = in.impl()->grad_fn.get()) {
        accumulate(grads[child], gi);
      } else {
        Tensor slot(in.impl()->grad);
        accumulate(slot, slot.defined() ? gi : owned(std::move(gi)));
        in.impl()->grad = slot.impl_ptr();
      }
    }
    if (!retain_graph) {
      node->backward = nullptr;  // frees the saved tensors
      node->freed = true;
    }
  }
}

}  // namespace he
