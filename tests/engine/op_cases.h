#pragma once
// The op table: one row per differentiable op (and its broadcasting / strided variants), run
// three ways: test_grad.cpp checks each gradient against finite differences in f64 on the
// CPU, test_op_devices.cpp runs each op on CUDA against the CPU on the same random inputs
// (values and gradients, f64 and f32, skipped without a device), and bench/bench_ops.cpp
// times each row on every device. Inputs are f64 leaves; a row's function creates whatever
// else it needs (indices, constants) on its first input's device and in its dtype.
#include <functional>
#include <string>
#include <vector>

#include "engine/engine.h"

namespace he::testing {

using In = std::vector<Tensor>;
using OpFn = std::function<Tensor(const In&)>;

struct OpCase {
  std::string name;
  std::function<In()> inputs;
  OpFn f;
  // CUDA against CPU: |cuda - cpu| <= tol * (1 + |cpu|) for values and gradients.
  double tol_f64 = 1e-10;
  double tol_f32 = 1e-4;
};

// A random f64 leaf that requires grad; `lo`/`hi` bound the values (e.g. positive for log).
inline Tensor op_leaf(const Shape& shape, uint64_t seed, double lo = -1, double hi = 1) {
  Generator g(seed);
  Tensor t = Tensor::uniform(shape, lo, hi, g, DType::f64);
  t.requires_grad_();
  return t;
}

// i64 indices on `like`'s device.
inline Tensor labels_i64(std::vector<int64_t> v, Shape s, const Tensor& like) {
  return Tensor::from_vector(v, s).to(like.device());
}

inline std::vector<OpCase> op_cases() {
  auto two = [](Shape a, Shape b, double lo = -1, double hi = 1) {
    return [=] { return In{op_leaf(a, 1, lo, hi), op_leaf(b, 2, lo, hi)}; };
  };
  auto one = [](Shape a, double lo = -1, double hi = 1) {
    return [=] { return In{op_leaf(a, 3, lo, hi)}; };
  };
  std::vector<OpCase> cases = {
      // elementwise binary, with broadcasting
      {"add_broadcast", two({3, 4}, {4}), [](const In& x) { return add(x[0], x[1]); }},
      {"sub_broadcast", two({3, 1}, {1, 4}), [](const In& x) { return sub(x[0], x[1]); }},
      {"mul_broadcast", two({2, 3, 4}, {3, 1}), [](const In& x) { return mul(x[0], x[1]); }},
      {"div", two({3, 4}, {3, 4}, 0.5, 2), [](const In& x) { return div(x[0], x[1]); }},
      {"maximum", two({3, 4}, {3, 4}), [](const In& x) { return maximum(x[0], x[1]); }},
      {"minimum", two({3, 4}, {4}), [](const In& x) { return minimum(x[0], x[1]); }},
      {"pow_tensor", two({3, 4}, {3, 4}, 0.5, 2), [](const In& x) { return pow(x[0], x[1]); }},
      {"add_transposed", two({4, 3}, {3, 4}), [](const In& x) { return add(x[0].t(), x[1]); }},
      // with scalars
      {"add_scalar", one({5}), [](const In& x) { return add(x[0], 2.5); }},
      {"mul_scalar", one({5}), [](const In& x) { return mul(x[0], -3.0); }},
      {"rsub_scalar", one({5}), [](const In& x) { return rsub(1.0, x[0]); }},
      {"rdiv_scalar", one({5}, 0.5, 2), [](const In& x) { return rdiv(2.0, x[0]); }},
      {"pow_scalar", one({5}, 0.5, 2), [](const In& x) { return pow(x[0], 3.5); }},
      // unary
      {"neg", one({4, 3}), [](const In& x) { return neg(x[0]); }},
      {"exp", one({4, 3}), [](const In& x) { return exp(x[0]); }},
      {"log", one({4, 3}, 0.2, 3), [](const In& x) { return log(x[0]); }},
      {"sqrt", one({4, 3}, 0.2, 3), [](const In& x) { return sqrt(x[0]); }},
      {"abs", one({4, 3}), [](const In& x) { return abs(x[0]); }},
      {"tanh", one({4, 3}, -2, 2), [](const In& x) { return tanh(x[0]); }},
      {"sigmoid", one({4, 3}, -4, 4), [](const In& x) { return sigmoid(x[0]); }},
      {"relu", one({4, 3}), [](const In& x) { return relu(x[0]); }},
      {"leaky_relu", one({4, 3}), [](const In& x) { return leaky_relu(x[0], 0.2); }},
      {"elu", one({4, 3}), [](const In& x) { return elu(x[0], 0.7); }},
      {"softplus", one({4, 3}, -3, 3), [](const In& x) { return softplus(x[0], 2.0, 20.0); }},
      {"clamp", one({4, 3}), [](const In& x) { return clamp(x[0], -0.5, 0.4); }},
      {"where", two({3, 4}, {3, 4}),
       [](const In& x) { return where(gt(x[0], 0.0), x[0], mul(x[1], 2.0)); }},
      {"masked_fill", one({3, 4}),
       [](const In& x) { return masked_fill(x[0], lt(x[0], 0.1), 0.5); }},
      {"exp_of_slice", one({6, 4}), [](const In& x) { return exp(x[0].slice(0, 1, 6, 2)); }},
      // reductions
      {"sum_all", one({3, 4}), [](const In& x) { return sum(x[0]); }},
      {"sum_dim0", one({3, 4, 2}), [](const In& x) { return sum(x[0], {0}); }},
      {"sum_dims_keep", one({3, 4, 2}),
       [](const In& x) {
         return sum(x[0], {0, 2}, true);
       }},
      {"sum_transposed", one({3, 4}), [](const In& x) { return sum(x[0].t(), {1}); }},
      {"mean", one({3, 4}), [](const In& x) { return mean(x[0], {1}); }},
      {"amax", one({3, 4}), [](const In& x) { return amax(x[0], {1}); }},
      {"amin_all", one({3, 4}), [](const In& x) { return amin(x[0]); }},
      {"var", one({3, 5}), [](const In& x) { return var(x[0], {1}, true); }},
      {"logsumexp", one({3, 5}, -3, 3), [](const In& x) { return logsumexp(x[0], {1}); }},
      {"norm2", one({3, 5}), [](const In& x) { return norm(x[0], 2, {1}); }},
      {"norm3", one({3, 5}, 0.2, 1), [](const In& x) { return norm(x[0], 3, {1}); }},
      // linear algebra
      {"matmul_2d", two({3, 4}, {4, 5}), [](const In& x) { return matmul(x[0], x[1]); }},
      {"matmul_transposed", two({4, 3}, {5, 4}),
       [](const In& x) { return matmul(x[0].t(), x[1].t()); }},
      {"matmul_batched_broadcast", two({2, 3, 4}, {4, 2}),
       [](const In& x) { return matmul(x[0], x[1]); }},
      {"matmul_vec", two({3, 4}, {4}), [](const In& x) { return matmul(x[0], x[1]); }},
      {"dot", two({4}, {4}), [](const In& x) { return matmul(x[0], x[1]); }},
      {"linear_bias",
       [] {
         return In{op_leaf({3, 4}, 4), op_leaf({5, 4}, 5), op_leaf({5}, 6)};
       },
       [](const In& x) { return linear(x[0], x[1], x[2]); }},
      {"linear_3d_no_bias", two({2, 3, 4}, {5, 4}), [](const In& x) { return linear(x[0], x[1]); }},
      {"outer", two({3}, {4}), [](const In& x) { return outer(x[0], x[1]); }},
      // shape and index
      {"reshape_permute", one({2, 3, 4}),
       [](const In& x) {
         return x[0].permute({2, 0, 1}).reshape({4, 6});
       }},
      {"expand", one({3, 1}),
       [](const In& x) {
         return x[0].expand({2, 3, 4});
       }},
      {"squeeze_unsqueeze", one({3, 1}), [](const In& x) { return x[0].squeeze(1).unsqueeze(0); }},
      {"select_narrow", one({4, 5}), [](const In& x) { return x[0].select(0, 2).narrow(0, 1, 3); }},
      {"contiguous_clone", one({4, 5}), [](const In& x) { return x[0].t().contiguous().clone(); }},
      {"concat", two({2, 3}, {4, 3}),
       [](const In& x) {
         return concat({x[0], x[1]}, 0);
       }},
      {"stack", two({2, 3}, {2, 3}),
       [](const In& x) {
         return stack({x[0], x[1]}, 1);
       }},
      {"split", one({5, 3}), [](const In& x) { return mul(split(x[0], 2, 0)[2], 3.0); }},
      {"index_select", one({5, 3}),
       [](const In& x) {
         return index_select(x[0], 0, labels_i64({4, 0, 4, 2}, {4}, x[0]));
       }},
      {"gather", one({3, 4}),
       [](const In& x) {
         return gather(x[0], 1, labels_i64({0, 3, 1, 1, 2, 2}, {3, 2}, x[0]));
       }},
      {"scatter_add", two({3, 4}, {3, 2}),
       [](const In& x) {
         return scatter_add(x[0], 1, labels_i64({0, 3, 1, 1, 2, 2}, {3, 2}, x[0]), x[1]);
       }},
      {"to_f32_and_back", one({3}), [](const In& x) { return x[0].to(DType::f32).to(DType::f64); }},
      // convolution and pooling
      {"conv2d_stride_pad",
       [] {
         return In{op_leaf({2, 3, 7, 6}, 4), op_leaf({4, 3, 3, 3}, 5), op_leaf({4}, 6)};
       },
       [](const In& x) {
         return conv2d(x[0], x[1], x[2], {.stride_h = 2, .stride_w = 1, .pad_h = 1, .pad_w = 2});
       }},
      {"conv2d_groups_dilation",
       [] {
         return In{op_leaf({2, 4, 7, 7}, 4), op_leaf({6, 2, 2, 3}, 5)};
       },
       [](const In& x) {
         return conv2d(x[0], x[1], Tensor(), {.dil_h = 2, .dil_w = 1, .groups = 2});
       }},
      {"conv_transpose2d",
       [] {
         return In{op_leaf({2, 3, 4, 5}, 4), op_leaf({3, 2, 3, 3}, 5), op_leaf({2}, 6)};
       },
       [](const In& x) {
         return conv_transpose2d(x[0], x[1], x[2],
                                 {.stride_h = 2,
                                  .stride_w = 2,
                                  .pad_h = 1,
                                  .pad_w = 1,
                                  .out_pad_h = 1,
                                  .out_pad_w = 0});
       }},
      {"conv_transpose2d_groups",
       [] {
         return In{op_leaf({1, 4, 3, 3}, 4), op_leaf({4, 3, 2, 2}, 5)};
       },
       [](const In& x) { return conv_transpose2d(x[0], x[1], Tensor(), {.groups = 2}); }},
      {"max_pool2d", one({2, 3, 6, 5}), [](const In& x) { return max_pool2d(x[0], 2); }},
      {"max_pool2d_overlap_pad", one({1, 2, 5, 5}),
       [](const In& x) { return max_pool2d(x[0], 3, 2, 1); }},
      {"avg_pool2d_pad", one({2, 2, 5, 6}), [](const In& x) { return avg_pool2d(x[0], 3, 2, 1); }},
      {"adaptive_avg_pool2d", one({2, 2, 7, 5}),
       [](const In& x) { return adaptive_avg_pool2d(x[0], 3, 2); }},
      {"dropout", one({4, 5}),
       [](const In& x) {
         Generator g(3);
         return dropout(x[0], 0.4, g);
       }},
      {"batch_norm_train",
       [] {
         return In{op_leaf({4, 3, 2, 2}, 4), op_leaf({3}, 5, 0.5, 1.5), op_leaf({3}, 6)};
       },
       [](const In& x) { return batch_norm_train(x[0], x[1], x[2], 1e-5).y; }},
      {"batch_norm_max_pool2x2",
       [] {
         return In{op_leaf({3, 2, 5, 4}, 4), op_leaf({2}, 5, 0.5, 1.5), op_leaf({2}, 6)};
       },
       [](const In& x) { return batch_norm_max_pool2x2_train(x[0], x[1], x[2], 1e-5).y; }},
      {"batch_norm_eval",
       [] {
         return In{op_leaf({4, 3, 2}, 4), op_leaf({3}, 5, 0.5, 1.5), op_leaf({3}, 6)};
       },
       [](const In& x) {
         return batch_norm_eval(x[0], Tensor::full({3}, 0.2, x[0].dtype(), x[0].device()),
                                Tensor::full({3}, 0.7, x[0].dtype(), x[0].device()), x[1], x[2],
                                1e-5);
       }},
      // hashing
      {"continuation", one({4, 6}, -2, 2), [](const In& x) { return continuation(x[0], 3.0); }},
      {"quant_error", one({4, 6}), [](const In& x) { return quant_error(x[0]); }},
      // softmax family
      {"softmax", one({3, 5}, -2, 2), [](const In& x) { return softmax(x[0], 1); }},
      {"softmax_dim0", one({3, 5}, -2, 2), [](const In& x) { return softmax(x[0], 0); }},
      {"log_softmax", one({3, 5}, -2, 2), [](const In& x) { return log_softmax(x[0], -1); }},
  };
  return cases;
}

}  // namespace he::testing
