#include "layers/recurrent.h"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace he::nn {

std::pair<Tensor, Tensor> lstm_cell(const Tensor& x, const Tensor& h, const Tensor& c,
                                    const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                                    const Tensor& b_hh) {
  const int64_t hs = h.size(1);
  Tensor gates = add(linear(x, w_ih, b_ih), linear(h, w_hh, b_hh));  // (N,4H)
  Tensor i = sigmoid(gates.narrow(1, 0, hs));
  Tensor f = sigmoid(gates.narrow(1, hs, hs));
  Tensor g = tanh(gates.narrow(1, 2 * hs, hs));
  Tensor o = sigmoid(gates.narrow(1, 3 * hs, hs));
  Tensor c_next = add(mul(f, c), mul(i, g));
  return {mul(o, tanh(c_next)), c_next};
}

Tensor gru_cell(const Tensor& x, const Tensor& h, const Tensor& w_ih, const Tensor& w_hh,
                const Tensor& b_ih, const Tensor& b_hh) {
  const int64_t hs = h.size(1);
  Tensor gi = linear(x, w_ih, b_ih), gh = linear(h, w_hh, b_hh);  // (N,3H) each
  Tensor r = sigmoid(add(gi.narrow(1, 0, hs), gh.narrow(1, 0, hs)));
  Tensor z = sigmoid(add(gi.narrow(1, hs, hs), gh.narrow(1, hs, hs)));
  Tensor n = tanh(add(gi.narrow(1, 2 * hs, hs), mul(r, gh.narrow(1, 2 * hs, hs))));
  return add(mul(rsub(1.0, z), n), mul(z, h));  // (1 - z) n + z h
}

Recurrent::Recurrent(int64_t gates, int64_t in, int64_t hidden, int64_t layers, bool bf, bool bias,
                     Generator& gen, DType dt)
    : input_size(in), hidden_size(hidden), num_layers(layers), batch_first(bf), gates_(gates) {
  if (in < 1 || hidden < 1 || layers < 1)
    throw std::invalid_argument(fmt::format("{}: input {}, hidden {} and layers {} must be >= 1",
                                            gates == 4 ? "LSTM" : "GRU", in, hidden, layers));
  const double bound = 1.0 / std::sqrt(static_cast<double>(hidden));
  auto draw = [&](const Shape& s) { return Tensor::uniform(s, -bound, bound, gen, dt); };
  for (int64_t l = 0; l < layers; ++l) {
    const std::string k = std::to_string(l);
    const int64_t layer_in = l == 0 ? in : hidden;
    w_ih_.push_back(register_parameter("weight_ih_l" + k, draw({gates * hidden, layer_in})));
    w_hh_.push_back(register_parameter("weight_hh_l" + k, draw({gates * hidden, hidden})));
    b_ih_.push_back(bias ? register_parameter("bias_ih_l" + k, draw({gates * hidden})) : Tensor());
    b_hh_.push_back(bias ? register_parameter("bias_hh_l" + k, draw({gates * hidden})) : Tensor());
  }
}

RecurrentOut Recurrent::run(const Tensor& x, const Tensor& h0, const Tensor& c0) {
  const char* op = is_lstm() ? "LSTM" : "GRU";
  if (x.dim() != 3 || x.size(2) != input_size)
    throw std::invalid_argument(fmt::format("{}: input {} is not ({}, {})", op, x.shape_str(),
                                            batch_first ? "N,T" : "T,N", input_size));
  Tensor seq = (batch_first ? x.transpose(0, 1) : x).contiguous();  // (T,N,in)
  const int64_t steps = seq.size(0), n = seq.size(1);
  const Shape state_shape{num_layers, n, hidden_size};
  for (const Tensor* s : {&h0, &c0})
    if (s->defined() && s->shape() != state_shape)
      throw std::invalid_argument(fmt::format("{}: initial state {} is not {}", op, s->shape_str(),
                                              shape_to_string(state_shape)));
  const Tensor zero = Tensor::zeros({n, hidden_size}, x.dtype(), x.device());
  std::vector<Tensor> h_last, c_last;
  for (int64_t l = 0; l < num_layers; ++l) {
    Tensor h = h0.defined() ? h0.select(0, l) : zero;
    Tensor c = c0.defined() ? c0.select(0, l) : zero;
    std::vector<Tensor> outs;
    for (int64_t t = 0; t < steps; ++t) {
      Tensor xt = seq.select(0, t);
      if (is_lstm())
        std::tie(h, c) = lstm_cell(xt, h, c, w_ih_[l], w_hh_[l], b_ih_[l], b_hh_[l]);
      else
        h = gru_cell(xt, h, w_ih_[l], w_hh_[l], b_ih_[l], b_hh_[l]);
      outs.push_back(h);
    }
    seq = stack(outs, 0);
    h_last.push_back(h);
    c_last.push_back(c);
  }
  RecurrentOut out{batch_first ? seq.transpose(0, 1) : seq, stack(h_last, 0), Tensor()};
  if (is_lstm()) out.c_n = stack(c_last, 0);
  return out;
}

}  // namespace he::nn
