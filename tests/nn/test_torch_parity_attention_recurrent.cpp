// LSTM, GRU and MultiheadAttention against PyTorch (tests/nn/torch_parity.py): every output,
// every input gradient and every parameter gradient, the loss being the sum of each output
// against its stored upstream gradient. Parameters load through load_state_dict, strict, so
// the names, shapes and gate order are tested too.
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "layers/layers.h"
#include "torch_parity.h"

namespace he::nn {
namespace {

using he::testing::parity_tolerance;
using he::testing::ParityCase;
using Named = std::map<std::string, Tensor>;

void check_case(Module& m, const ParityCase& c, const std::function<Named(const Named&)>& run) {
  ASSERT_NO_THROW(m.load_state_dict(c.group("param"), /*strict=*/true));
  Named inputs = c.group("input");
  ASSERT_FALSE(inputs.empty());
  for (auto& [k, x] : inputs) x.requires_grad_();
  Named outputs = run(inputs);
  const auto tol = parity_tolerance(DType::f32);
  Named upstream = c.group("upstream");
  ASSERT_EQ(outputs.size(), upstream.size());
  Tensor loss;
  for (auto& [k, y] : outputs) {
    HE_EXPECT_PARITY(y, c, "output." + k, tol);
    ASSERT_EQ(y.shape(), upstream.at(k).shape()) << k;
    Tensor term = sum(mul(y, upstream.at(k)));
    loss = loss.defined() ? add(loss, term) : term;
  }
  loss.backward();
  for (auto& [k, x] : inputs) HE_EXPECT_PARITY(x.grad(), c, "grad.input." + k, tol);
  auto grads = c.group("grad.param");
  EXPECT_EQ(grads.size(), m.named_parameters().size());
  for (auto& [name, p] : m.named_parameters())
    HE_EXPECT_PARITY(p.grad(), c, "grad.param." + name, tol);
}

TEST(TorchParity, LstmTwoLayersBatchFirst) {
  ParityCase c("lstm");
  Generator g(1);
  LSTM lstm(c.meta["in"], c.meta["hidden"], g, c.meta["layers"], c.meta["batch_first"]);
  check_case(lstm, c, [&](const Named& in) {
    RecurrentOut o = lstm.run(in.at("x"), in.at("h0"), in.at("c0"));
    return Named{{"output", o.output}, {"h_n", o.h_n}, {"c_n", o.c_n}};
  });
}

TEST(TorchParity, GruTwoLayers) {
  ParityCase c("gru");
  Generator g(1);
  GRU gru(c.meta["in"], c.meta["hidden"], g, c.meta["layers"], c.meta["batch_first"]);
  check_case(gru, c, [&](const Named& in) {
    RecurrentOut o = gru.run(in.at("x"), in.at("h0"));
    return Named{{"output", o.output}, {"h_n", o.h_n}};
  });
}

TEST(TorchParity, MultiheadAttentionCross) {
  ParityCase c("mha_cross");
  Generator g(1);
  MultiheadAttention mha(c.meta["embed_dim"], c.meta["heads"], g, c.meta["batch_first"]);
  check_case(mha, c, [&](const Named& in) {
    AttentionOut o = mha.attend(in.at("query"), in.at("key"), in.at("value"));
    return Named{{"output", o.output}, {"weights", o.weights}};
  });
}

TEST(TorchParity, MultiheadSelfAttentionBatchFirst) {
  ParityCase c("mha_self_batch_first");
  Generator g(1);
  MultiheadAttention mha(c.meta["embed_dim"], c.meta["heads"], g, c.meta["batch_first"]);
  check_case(mha, c, [&](const Named& in) { return Named{{"output", mha.forward(in.at("x"))}}; });
}

}  // namespace
}  // namespace he::nn
