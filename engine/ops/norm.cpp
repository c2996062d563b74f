// Batch normalisation as one fused op per direction (statistics, normalise and affine in two
// passes over x; the backward in two more), instead of a dozen broadcast ops.
#include <fmt/format.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "engine/ops.h"
#include "engine/ops/args.h"
#include "engine/ops/dispatch.h"
#include "kernels/norm.h"

namespace he {

namespace {
using V = std::vector<Tensor>;

// Checks shapes and dtypes; returns the device every argument is on.
Device check_bn(const Tensor& x, const Tensor& w, const Tensor& b, const char* op) {
  const Device dev = detail::common_device({x, w, b}, op);
  if (x.dim() < 2)
    throw std::invalid_argument(fmt::format("{}: expected (N,C,...), got {}", op, x.shape_str()));
  const int64_t c = x.size(1);
  for (const Tensor& t : {w, b})
    if (t.defined() && (t.dim() != 1 || t.size(0) != c || t.dtype() != x.dtype()))
      throw std::invalid_argument(fmt::format("{}: parameter {} ({}) does not fit input {} ({})",
                                              op, t.shape_str(), dtype_name(t.dtype()),
                                              x.shape_str(), dtype_name(x.dtype())));
  return dev;
}

int64_t spatial(const Tensor& x) { return x.numel() / std::max<int64_t>(x.size(0) * x.size(1), 1); }

template <class T>
T* ptr_or_null(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

}  // namespace

BatchNormOut batch_norm_train(const Tensor& x, const Tensor& weight, const Tensor& bias,
                              double eps) {
  const Device dev = check_bn(x, weight, bias, "batch_norm");
  const int64_t n = x.size(0), c = x.size(1), s = spatial(x);
  if (n * s < 2)
    throw std::invalid_argument("batch_norm: training needs more than one value per channel, got " +
                                x.shape_str());
  Tensor xc = x.contiguous(), wc = weight.defined() ? weight.contiguous() : Tensor();
  Tensor bc = bias.defined() ? bias.contiguous() : Tensor();
  Tensor y = Tensor::empty(x.shape(), x.dtype(), dev);
  Tensor mean = Tensor::empty({c}, x.dtype(), dev), invstd = Tensor::empty({c}, x.dtype(), dev),
         var = Tensor::empty({c}, x.dtype(), dev);
  detail::on_device_floating(dev, x.dtype(), "batch_norm", [&]<class T>(auto backend) {
    const T *px = xc.data_ptr<T>(), *pw = ptr_or_null<T>(wc), *pb = ptr_or_null<T>(bc);
    T *py = y.data_ptr<T>(), *pm = mean.data_ptr<T>(), *pi = invstd.data_ptr<T>(),
      *pv = var.data_ptr<T>();
    if constexpr (backend.cuda)
      kernels::cuda::batch_norm_train(px, pw, pb, py, pm, pi, pv, n, c, s, eps);
    else
      kernels::cpu::batch_norm_train(px, pw, pb, py, pm, pi, pv, n, c, s, eps);
  });
  BatchNormOut out;
  out.mean = mean;
  out.var = var;
  out.y = attach_grad_fn(y, {x, weight, bias}, "batch_norm", [=](const Tensor& g) {
    Tensor gc = g.contiguous();
    Tensor dx = x.requires_grad() ? Tensor::empty(x.shape(), x.dtype(), dev) : Tensor();
    Tensor dw = Tensor::empty({c}, x.dtype(), dev), db = Tensor::empty({c}, x.dtype(), dev);
    detail::on_device_floating(dev, x.dtype(), "batch_norm backward", [&]<class T>(auto backend) {
      const T *pg = gc.data_ptr<T>(), *px = xc.data_ptr<T>(), *pw = ptr_or_null<T>(wc),
              *pm = mean.data_ptr<T>(), *pi = invstd.data_ptr<T>();
      T *pdx = ptr_or_null<T>(dx), *pdw = dw.data_ptr<T>(), *pdb = db.data_ptr<T>();
      if constexpr (backend.cuda)
        kernels::cuda::batch_norm_backward(pg, px, pw, pm, pi, pdx, pdw, pdb, n, c, s, eps);
      else
        kernels::cpu::batch_norm_backward(pg, px, pw, pm, pi, pdx, pdw, pdb, n, c, s, eps);
    });
    return V{dx, weight.defined() ? dw : Tensor(), bias.defined() ? db : Tensor()};
  });
  return out;
}

namespace {
// The sync batch norm's forward on the CPU: the sums of x, then of (x - mean)^2, each added
// over ranks, then the normalise-and-affine of batch_norm_train with those statistics.
template <class T>
void split_forward(const Tensor& xc, const Tensor& wc, const Tensor& bc, double eps, double m,
                   const std::function<void(Tensor&)>& sum_over_ranks, Tensor& y,
                   BatchNormOut& stats, Tensor& invstd) {
  const int64_t n = xc.size(0), c = xc.size(1), s = spatial(xc);
  const T *px = xc.data<T>(), *pw = ptr_or_null<T>(wc), *pb = ptr_or_null<T>(bc);
  Tensor sums = Tensor::zeros({c}, DType::f64);
  double* ps = sums.data<double>();
  kernels::cpu::channel_moment(px, static_cast<const double*>(nullptr), ps, n, c, s);
  sum_over_ranks(sums);
  std::vector<double> mu(c);
  for (int64_t ch = 0; ch < c; ++ch) mu[ch] = ps[ch] / m;
  kernels::cpu::channel_moment(px, mu.data(), ps, n, c, s);  // two passes, as batch_norm_train
  sum_over_ranks(sums);
  std::vector<T> scale(c), shift(c);
  for (int64_t ch = 0; ch < c; ++ch) {
    const double v = ps[ch] / m, is = 1.0 / std::sqrt(v + eps);
    stats.mean.data<T>()[ch] = static_cast<T>(mu[ch]);
    stats.var.data<T>()[ch] = static_cast<T>(v);
    invstd.data<T>()[ch] = static_cast<T>(is);
    scale[ch] = static_cast<T>(is * (pw ? static_cast<double>(pw[ch]) : 1.0));
    shift[ch] = static_cast<T>((pb ? static_cast<double>(pb[ch]) : 0.0) - mu[ch] * scale[ch]);
  }
  kernels::cpu::channel_affine(px, scale.data(), shift.data(), y.data<T>(), n, c, s);
}
}  // namespace

BatchNormOut batch_norm_train_split(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                    double eps, int64_t total_rows,
                                    const std::function<void(Tensor&)>& sum_over_ranks) {
  const Device dev = check_bn(x, weight, bias, "batch_norm_split");
  if (dev != Device::cpu())
    throw std::invalid_argument("batch_norm_split: the batch is split over ranks on the CPU; got " +
                                x.shape_str() + " on a CUDA device");
  const int64_t n = x.size(0), c = x.size(1), s = spatial(x);
  const double m = static_cast<double>(total_rows) * static_cast<double>(s);
  if (n > total_rows || m < 2)
    throw std::invalid_argument(fmt::format(
        "batch_norm_split: {} rows of a batch of {}; training needs more than one value per "
        "channel",
        x.shape_str(), total_rows));
  Tensor xc = x.contiguous(), wc = weight.defined() ? weight.contiguous() : Tensor();
  Tensor bc = bias.defined() ? bias.contiguous() : Tensor();
  Tensor y = Tensor::empty(x.shape(), x.dtype()), invstd = Tensor::empty({c}, x.dtype());
  BatchNormOut out;
  out.mean = Tensor::empty({c}, x.dtype());
  out.var = Tensor::empty({c}, x.dtype());
  dispatch_floating(x.dtype(), "batch_norm_split", [&]<class T>() {
    split_forward<T>(xc, wc, bc, eps, m, sum_over_ranks, y, out, invstd);
  });
  Tensor mean = out.mean;
  out.y = attach_grad_fn(y, {x, weight, bias}, "batch_norm_split", [=](const Tensor& g) {
    Tensor gc = g.contiguous();
    Tensor dx = x.requires_grad() ? Tensor::empty(x.shape(), x.dtype()) : Tensor();
    Tensor dw = Tensor::empty({c}, x.dtype()), db = Tensor::empty({c}, x.dtype());
    Tensor sums = Tensor::zeros({2, c}, DType::f64);  // sum(dy), then sum(dy * (x - mean))
    double* ps = sums.data<double>();
    dispatch_floating(x.dtype(), "batch_norm_split backward", [&]<class T>() {
      const T *pg = gc.data<T>(), *px = xc.data<T>(), *pm = mean.data<T>(), *pi = invstd.data<T>();
      kernels::cpu::batch_norm_grad_sums(pg, px, pm, ps, ps + c, n, c, s);
      for (int64_t ch = 0; ch < c; ++ch) {  // this rank's rows: averaged by the caller
        dw.data<T>()[ch] = static_cast<T>(ps[c + ch] * static_cast<double>(pi[ch]));
        db.data<T>()[ch] = static_cast<T>(ps[ch]);
      }
      sum_over_ranks(sums);
      for (int64_t ch = 0; ch < c; ++ch) ps[c + ch] *= static_cast<double>(pi[ch]);
      if (dx.defined())
        kernels::cpu::batch_norm_input_grad(pg, px, ptr_or_null<T>(wc), pm, pi, ps, ps + c, m,
                                            dx.data<T>(), n, c, s);
    });
    return V{dx, weight.defined() ? dw : Tensor(), bias.defined() ? db : Tensor()};
  });
  return out;
}

Tensor batch_norm_eval(const Tensor& x, const Tensor& mean, const Tensor& var, const Tensor& weight,
                       const Tensor& bias, double eps) {
  const Device dev = check_bn(x, weight, bias, "batch_norm_eval");
  detail::common_device({x, mean, var}, "batch_norm_eval");
  // Per channel: y = x * scale + shift, scale = w / sqrt(var + eps), shift = b - mean * scale.
  Tensor scale = div(weight.defined() ? weight : Tensor::ones({x.size(1)}, x.dtype(), dev),
                     sqrt(add(var, eps)));
  Tensor shift =
      sub(bias.defined() ? bias : Tensor::zeros({x.size(1)}, x.dtype(), dev), mul(mean, scale));
  const int64_t n = x.size(0), c = x.size(1), s = spatial(x);
  Tensor xc = x.contiguous(), sc = scale.detach().contiguous(), sh = shift.detach().contiguous();
  Tensor y = Tensor::empty(x.shape(), x.dtype(), dev);
  detail::on_device_floating(dev, x.dtype(), "batch_norm_eval", [&]<class T>(auto backend) {
    const T *px = xc.data_ptr<T>(), *pa = sc.data_ptr<T>(), *pb = sh.data_ptr<T>();
    T* py = y.data_ptr<T>();
    if constexpr (backend.cuda)
      kernels::cuda::channel_affine(px, pa, pb, py, n, c, s);
    else
      kernels::cpu::channel_affine(px, pa, pb, py, n, c, s);
  });
  Shape bshape(x.dim(), 1);
  bshape[1] = c;
  std::vector<int64_t> others{0};
  for (int64_t d = 2; d < x.dim(); ++d) others.push_back(d);
  return attach_grad_fn(y, {x, scale, shift}, "batch_norm_eval", [=](const Tensor& g) {
    return V{mul(g, scale.detach().reshape(bshape)), sum(mul(g, xc), others), sum(g, others)};
  });
}

BatchNormOut batch_norm_max_pool2x2_train(const Tensor& x, const Tensor& weight, const Tensor& bias,
                                          double eps) {
  const Device dev = check_bn(x, weight, bias, "batch_norm_max_pool2x2");
  if (x.dim() != 4 || x.size(2) < 2 || x.size(3) < 2)
    throw std::invalid_argument("batch_norm_max_pool2x2: expected (N,C,H,W) with H, W >= 2, got " +
                                x.shape_str());
  if (dev.is_cuda()) {  // no fused kernel there: the two ops in turn
    BatchNormOut out = batch_norm_train(x, weight, bias, eps);
    out.y = max_pool2d(out.y, 2, 2, 0);
    return out;
  }
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  if (n * h * w < 2)
    throw std::invalid_argument(
        "batch_norm_max_pool2x2: training needs more than one value per channel, got " +
        x.shape_str());
  Tensor xc = x.contiguous(), wc = weight.defined() ? weight.contiguous() : Tensor();
  Tensor bc = bias.defined() ? bias.contiguous() : Tensor();
  Tensor y = Tensor::empty({n, c, h / 2, w / 2}, x.dtype());
  Tensor idx = Tensor::empty(y.shape(), DType::i64);
  Tensor mean = Tensor::empty({c}, x.dtype()), invstd = Tensor::empty({c}, x.dtype()),
         var = Tensor::empty({c}, x.dtype());
  dispatch_floating(x.dtype(), "batch_norm_max_pool2x2", [&]<class T>() {
    kernels::cpu::batch_norm_max_pool2x2(xc.data<T>(), ptr_or_null<T>(wc), ptr_or_null<T>(bc),
                                         y.data<T>(), idx.data<int64_t>(), mean.data<T>(),
                                         invstd.data<T>(), var.data<T>(), n, c, h, w, eps);
  });
  BatchNormOut out;
  out.mean = mean;
  out.var = var;
  out.y = attach_grad_fn(y, {x, weight, bias}, "batch_norm_max_pool2x2", [=](const Tensor& g) {
    Tensor gc = g.contiguous();
    Tensor dx = x.requires_grad() ? Tensor::empty(x.shape(), x.dtype()) : Tensor();
    Tensor dw = Tensor::empty({c}, x.dtype()), db = Tensor::empty({c}, x.dtype());
    dispatch_floating(x.dtype(), "batch_norm_max_pool2x2 backward", [&]<class T>() {
      kernels::cpu::batch_norm_max_pool2x2_backward(
          gc.data<T>(), idx.data<int64_t>(), xc.data<T>(), ptr_or_null<T>(wc), mean.data<T>(),
          invstd.data<T>(), ptr_or_null<T>(dx), dw.data<T>(), db.data<T>(), n, c, h, w);
    });
    return V{dx, weight.defined() ? dw : Tensor(), bias.defined() ? db : Tensor()};
  });
  return out;
}

}  // namespace he
