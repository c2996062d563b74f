#pragma once
// Finite-difference gradient check in double precision, shared by every test area.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "engine/engine.h"

namespace he::testing {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

// Checks the analytic gradient of L = sum(f(inputs) * w), w a fixed random weight, against
// central differences for every input that requires grad. Inputs must be contiguous f64
// leaves; f may take views of them (transposes, slices) to exercise strided paths.
inline ::testing::AssertionResult gradcheck(const Fn& f, std::vector<Tensor> inputs,
                                            double eps = 1e-6, double tol = 1e-6) {
  Generator gen(1234);
  Tensor out = f(inputs);
  Tensor w = Tensor::randn(out.shape(), gen, DType::f64);
  auto loss = [&](const std::vector<Tensor>& in) {
    NoGradGuard ng;
    return sum(mul(f(in), w)).item<double>();
  };
  for (Tensor& t : inputs) t.zero_grad();
  Tensor l = sum(mul(out, w));
  l.backward();
  for (size_t k = 0; k < inputs.size(); ++k) {
    Tensor& x = inputs[k];
    if (!x.requires_grad()) continue;
    if (x.dtype() != DType::f64 || !x.is_contiguous())
      return ::testing::AssertionFailure() << "input " << k << " must be a contiguous f64 leaf";
    Tensor analytic = x.grad();
    if (!analytic.defined()) analytic = Tensor::zeros(x.shape(), DType::f64);
    std::vector<double> an = analytic.to_vector<double>();
    double* p = x.data<double>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      const double keep = p[i];
      p[i] = keep + eps;
      double up = loss(inputs);
      p[i] = keep - eps;
      double down = loss(inputs);
      p[i] = keep;
      double numeric = (up - down) / (2 * eps);
      double err = std::abs(numeric - an[i]);
      if (err > tol * (1 + std::abs(numeric)))
        return ::testing::AssertionFailure() << "input " << k << " element " << i << ": analytic "
                                             << an[i] << " vs numeric " << numeric;
    }
  }
  return ::testing::AssertionSuccess();
}

// A random f64 leaf that requires grad; `lo`/`hi` bound the values (e.g. positive for log).
inline Tensor leaf(const Shape& shape, uint64_t seed, double lo = -1, double hi = 1) {
  Generator g(seed);
  Tensor t = Tensor::uniform(shape, lo, hi, g, DType::f64);
  t.requires_grad_();
  return t;
}

}  // namespace he::testing
