#pragma once
// LSTM and GRU with PyTorch's parameter names (weight_ih_l<k>, weight_hh_l<k>, bias_ih_l<k>,
// bias_hh_l<k>), shapes, gate order and initialisation (every parameter ~ U(-1/sqrt(hidden),
// 1/sqrt(hidden))), so weights move between the two both ways. Stacked layers, the input
// (T,N,in) or (N,T,in) with batch_first; one direction, no dropout between layers.
#include "layers/module.h"

namespace he::nn {

struct RecurrentOut {
  Tensor output;  // (T,N,hidden), or (N,T,hidden) batch-first: the last layer's h at every step
  Tensor h_n;     // (layers,N,hidden): every layer's last h
  Tensor c_n;     // (layers,N,hidden): every layer's last cell (LSTM only)
};

// One LSTM step, gates in PyTorch's order i, f, g, o:
//   [i f g o] = x W_ih^T + b_ih + h W_hh^T + b_hh
//   c' = sigmoid(f) * c + sigmoid(i) * tanh(g),  h' = sigmoid(o) * tanh(c')
// x:(N,in), h/c:(N,H), w_ih:(4H,in), w_hh:(4H,H), biases (4H) or undefined.
std::pair<Tensor, Tensor> lstm_cell(const Tensor& x, const Tensor& h, const Tensor& c,
                                    const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                                    const Tensor& b_hh);
// One GRU step, gates in PyTorch's order r, z, n:
//   r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr), z likewise,
//   n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn)),  h' = (1 - z) * n + z * h
// x:(N,in), h:(N,H), w_ih:(3H,in), w_hh:(3H,H), biases (3H) or undefined.
Tensor gru_cell(const Tensor& x, const Tensor& h, const Tensor& w_ih, const Tensor& w_hh,
                const Tensor& b_ih, const Tensor& b_hh);

class Recurrent : public Module {
 public:
  // h0/c0: (layers,N,hidden) or undefined for zeros (c0 is ignored by GRU).
  RecurrentOut run(const Tensor& x, const Tensor& h0 = Tensor(), const Tensor& c0 = Tensor());
  Tensor forward(const Tensor& x) override { return run(x).output; }
  int64_t input_size, hidden_size, num_layers;
  bool batch_first;

 protected:
  Recurrent(int64_t gates, int64_t in, int64_t hidden, int64_t layers, bool batch_first, bool bias,
            Generator& gen, DType dt);
  bool is_lstm() const { return gates_ == 4; }

 private:
  int64_t gates_;
  std::vector<Tensor> w_ih_, w_hh_, b_ih_, b_hh_;  // per layer
};

class LSTM : public Recurrent {
 public:
  LSTM(int64_t in, int64_t hidden, Generator& gen, int64_t layers = 1, bool batch_first = false,
       bool bias = true, DType dt = DType::f32)
      : Recurrent(4, in, hidden, layers, batch_first, bias, gen, dt) {}
  std::string name() const override { return "LSTM"; }
};

class GRU : public Recurrent {
 public:
  GRU(int64_t in, int64_t hidden, Generator& gen, int64_t layers = 1, bool batch_first = false,
      bool bias = true, DType dt = DType::f32)
      : Recurrent(3, in, hidden, layers, batch_first, bias, gen, dt) {}
  std::string name() const override { return "GRU"; }
};

}  // namespace he::nn
