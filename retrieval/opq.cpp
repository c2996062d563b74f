#include "retrieval/opq.h"

#include <stdexcept>
#include <string>

#include "kernels/blas.h"
#include "kernels/lapack.h"

namespace he::retrieval {

void apply_rotation(const float* x, int64_t n, int64_t d, const float* rotation, float* out) {
  if (n == 0) return;
  kernels::cpu::gemm(false, false, n, d, d, 1.0f, x, d, rotation, d, 0.0f, out, d);
}

OpqResult train_opq(const float* x, int64_t n, int64_t d, int64_t m, int nbits,
                    const OpqOptions& opt) {
  if (opt.iterations < 1)
    throw std::invalid_argument("train_opq: iterations must be >= 1, got " +
                                std::to_string(opt.iterations));
  const std::vector<float> xs = sample_rows(x, n, d, opt.max_train_rows, opt.seed);
  const int64_t rows = static_cast<int64_t>(xs.size()) / d;
  OpqResult res;
  res.rotation.assign(d * d, 0.0f);
  for (int64_t i = 0; i < d; ++i) res.rotation[i * d + i] = 1.0f;
  std::vector<float> xr(rows * d), y(rows * d);
  std::vector<uint8_t> codes(rows * m);
  std::vector<double> xd(xs.begin(), xs.end()), yd(rows * d), xty(d * d), u(d * d), s(d), vt(d * d),
      r(d * d);
  PqTrainOptions po;
  po.max_iter = opt.pq_iter_per_round;
  for (int it = 0; it < opt.iterations; ++it) {
    apply_rotation(xs.data(), rows, d, res.rotation.data(), xr.data());
    po.seed = opt.seed + static_cast<uint64_t>(it) * 7919;
    ProductQuantizer pq = ProductQuantizer::train(xr.data(), rows, d, m, nbits, po);
    pq.encode(xr.data(), rows, codes.data());
    pq.decode(codes.data(), rows, y.data());
    double err = 0;
    for (int64_t i = 0; i < rows * d; ++i) err += double(xr[i] - y[i]) * (xr[i] - y[i]);
    res.error_history.push_back(err / static_cast<double>(rows));
    // Procrustes: argmin over orthogonal R of ||X R - Y|| is U V^T, X^T Y = U S V^T.
    std::copy(y.begin(), y.end(), yd.begin());
    kernels::cpu::gemm(true, false, d, d, rows, 1.0, xd.data(), d, yd.data(), d, 0.0, xty.data(),
                       d);
    kernels::cpu::svd(xty.data(), d, d, u.data(), s.data(), vt.data());
    kernels::cpu::gemm(false, false, d, d, d, 1.0, u.data(), d, vt.data(), d, 0.0, r.data(), d);
    for (int64_t i = 0; i < d * d; ++i) res.rotation[i] = static_cast<float>(r[i]);
  }
  return res;
}

}  // namespace he::retrieval
