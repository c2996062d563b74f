// Tensor storage, creation, metadata, data access and copies. Views are in ops/view.cpp.
#include "engine/tensor.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <stdexcept>

#include "engine/allocator.h"
#include "engine/autograd.h"
#include "engine/ops/dispatch.h"
#include "engine/random.h"
#include "kernels/elementwise.h"
#include "kernels/random.h"
#include "kernels/runtime.h"

namespace he {

Storage::Storage(size_t bytes, Device d) : nbytes(bytes), device(d) {
  data = allocator_for(d).allocate(std::max<size_t>(bytes, 1), &binned);
}
Storage::Storage(void* external, size_t bytes, Device d)
    : data(external), nbytes(bytes), device(d), owned(false) {}
Storage::~Storage() {
  if (owned && data) allocator_for(device).release(data, binned);
}

Shape contiguous_strides(const Shape& shape) {
  Shape st(shape.size());
  int64_t s = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    st[i] = s;
    s *= std::max<int64_t>(shape[i], 1);
  }
  return st;
}

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

std::string shape_to_string(const Shape& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

int64_t wrap_dim(int64_t d, int64_t ndim, const char* op) {
  int64_t w = d < 0 ? d + ndim : d;
  if (w < 0 || w >= std::max<int64_t>(ndim, 1))
    throw std::invalid_argument(
        fmt::format("{}: dim {} out of range for a tensor of {} dims", op, d, ndim));
  return w;
}

Tensor make_view(const Tensor& base, Shape shape, Shape strides, int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = base.impl()->storage;
  impl->shape = std::move(shape);
  impl->strides = std::move(strides);
  impl->offset = offset;
  impl->dtype = base.dtype();
  return Tensor(impl);
}

// ---- creation ----
Tensor Tensor::empty(const Shape& shape, DType dt, Device dev) {
  for (int64_t s : shape)
    if (s < 0)
      throw std::invalid_argument("empty: negative size in shape " + shape_to_string(shape));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(shape_numel(shape) * dtype_size(dt), dev);
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dt;
  return Tensor(impl);
}

Tensor Tensor::full(const Shape& shape, double value, DType dt, Device dev) {
  Tensor t = empty(shape, dt, dev);
  t.fill_(value);
  return t;
}
Tensor Tensor::zeros(const Shape& shape, DType dt, Device dev) { return full(shape, 0, dt, dev); }
Tensor Tensor::ones(const Shape& shape, DType dt, Device dev) { return full(shape, 1, dt, dev); }
Tensor Tensor::scalar(double value, DType dt) { return full({}, value, dt); }

Tensor Tensor::arange(double start, double end, double step, DType dt) {
  if (step == 0 || (end - start) / step < 0)
    throw std::invalid_argument(
        fmt::format("arange: empty or infinite range ({}, {}, {})", start, end, step));
  int64_t n = static_cast<int64_t>(std::ceil((end - start) / step));
  Tensor t = empty({n}, dt);
  dispatch_all(dt, [&]<class T>() {
    T* p = t.data<T>();
    for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(start + i * step);
  });
  return t;
}

template <class T>
Tensor Tensor::from_vector(const std::vector<T>& v, const Shape& shape) {
  if (shape_numel(shape) != static_cast<int64_t>(v.size()))
    throw std::invalid_argument(fmt::format("from_vector: {} values do not fill shape {}", v.size(),
                                            shape_to_string(shape)));
  Tensor t = empty(shape, dtype_v<T>);
  if (!v.empty()) std::memcpy(t.raw_data(), v.data(), v.size() * sizeof(T));
  return t;
}
template Tensor Tensor::from_vector(const std::vector<float>&, const Shape&);
template Tensor Tensor::from_vector(const std::vector<double>&, const Shape&);
template Tensor Tensor::from_vector(const std::vector<int32_t>&, const Shape&);
template Tensor Tensor::from_vector(const std::vector<int64_t>&, const Shape&);
template Tensor Tensor::from_vector(const std::vector<uint8_t>&, const Shape&);
template Tensor Tensor::from_vector(const std::vector<uint64_t>&, const Shape&);

Tensor Tensor::wrap(void* data, const Shape& shape, DType dt) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage =
      std::make_shared<Storage>(data, shape_numel(shape) * dtype_size(dt), Device::cpu());
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dt;
  return Tensor(impl);
}

Tensor Tensor::uniform(const Shape& shape, double lo, double hi, Generator& gen, DType dt) {
  Tensor t = empty(shape, dt);
  int64_t n = t.numel();
  uint64_t first = gen.advance(n);
  dispatch_floating(dt, "uniform", [&]<class T>() {
    kernels::cpu::uniform(t.data<T>(), n, gen.seed(), first, lo, hi);
  });
  return t;
}
Tensor Tensor::rand(const Shape& shape, Generator& gen, DType dt) {
  return uniform(shape, 0, 1, gen, dt);
}
Tensor Tensor::randn(const Shape& shape, Generator& gen, DType dt) {
  Tensor t = empty(shape, dt);
  int64_t n = t.numel();
  uint64_t first = gen.advance(n);
  dispatch_floating(dt, "randn", [&]<class T>() {
    kernels::cpu::normal(t.data<T>(), n, gen.seed(), first, 0.0, 1.0);
  });
  return t;
}
Tensor Tensor::bernoulli(const Shape& shape, double p, Generator& gen, DType dt) {
  Tensor t = empty(shape, dt);
  int64_t n = t.numel();
  uint64_t first = gen.advance(n);
  dispatch_floating(dt, "bernoulli", [&]<class T>() {
    kernels::cpu::bernoulli(t.data<T>(), n, gen.seed(), first, p);
  });
  return t;
}
Tensor Tensor::randperm(int64_t n, Generator& gen) {
  // Sort by one random 64-bit key per element (ties by index): the result depends only on
  // (seed, offset), not on the thread count.
  uint64_t first = gen.advance(n);
  std::vector<uint64_t> keys(n);
  for (int64_t i = 0; i < n; ++i) keys[i] = philox::bits64_at(gen.seed(), first + i);
  std::vector<int64_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0);
  std::stable_sort(perm.begin(), perm.end(),
                   [&](int64_t a, int64_t b) { return keys[a] < keys[b]; });
  return from_vector(perm);
}

// ---- metadata ----
int64_t Tensor::size(int64_t d) const { return shape()[wrap_dim(d, dim(), "size")]; }
int64_t Tensor::numel() const { return shape_numel(shape()); }
bool Tensor::is_contiguous() const {
  int64_t expect = 1;
  for (int64_t i = dim() - 1; i >= 0; --i) {
    if (shape()[i] == 1) continue;
    if (strides()[i] != expect) return false;
    expect *= shape()[i];
  }
  return true;
}
std::string Tensor::shape_str() const { return shape_to_string(shape()); }

// ---- data access ----
void* Tensor::raw_data() const {
  return static_cast<char*>(impl_->storage->data) + impl_->offset * dtype_size(dtype());
}
template <class T>
T* Tensor::data_ptr() const {
  if (dtype() != dtype_v<T>)
    throw std::invalid_argument(fmt::format("data_ptr<{}>: tensor has dtype {}",
                                            dtype_name(dtype_v<T>), dtype_name(dtype())));
  return static_cast<T*>(raw_data());
}
template <class T>
T* Tensor::data() const {
  if (dtype() != dtype_v<T>)
    throw std::invalid_argument(
        fmt::format("data<{}>: tensor has dtype {}", dtype_name(dtype_v<T>), dtype_name(dtype())));
  if (!device().is_cpu())
    throw std::invalid_argument("data(): tensor lives on " + device().str() +
                                "; copy it to cpu first");
  return static_cast<T*>(raw_data());
}
template <class T>
T Tensor::item() const {
  if (numel() != 1)
    throw std::invalid_argument("item: tensor of shape " + shape_str() + " is not one element");
  return to(Device::cpu()).to(dtype_v<T>).template data<T>()[0];
}
double Tensor::item_double() const { return to(DType::f64).item<double>(); }
template <class T>
std::vector<T> Tensor::to_vector() const {
  Tensor c = to(Device::cpu()).to(dtype_v<T>).contiguous();
  const T* p = c.data<T>();
  return std::vector<T>(p, p + c.numel());
}
#define HE_INSTANTIATE(T)                  \
  template T* Tensor::data<T>() const;     \
  template T* Tensor::data_ptr<T>() const; \
  template T Tensor::item<T>() const;      \
  template std::vector<T> Tensor::to_vector<T>() const;
HE_INSTANTIATE(float)
HE_INSTANTIATE(double)
HE_INSTANTIATE(int32_t)
HE_INSTANTIATE(int64_t)
HE_INSTANTIATE(uint8_t)
HE_INSTANTIATE(uint64_t)
#undef HE_INSTANTIATE

// ---- autograd handles ----
Tensor& Tensor::requires_grad_(bool on) {
  if (on && !is_floating(dtype()))
    throw std::invalid_argument(std::string("requires_grad_: only floating tensors can require "
                                            "gradients, this one is ") +
                                dtype_name(dtype()));
  impl_->requires_grad = on;
  return *this;
}
Tensor Tensor::detach() const { return make_view(*this, shape(), strides(), offset()); }
void Tensor::backward(const Tensor& grad, bool retain_graph) const {
  run_backward(*this, grad, retain_graph);
}

// ---- copies ----
namespace {
// Layout for copying src (broadcast to dst's shape) into dst.
kernels::Strided copy_layout(const Tensor& dst, const Tensor& src) {
  if (dst.dim() > kernels::kMaxDims)
    throw std::invalid_argument(
        fmt::format("copy: {} dims exceed the supported {}", dst.dim(), kernels::kMaxDims));
  kernels::Strided l;
  l.ndim = static_cast<int>(dst.dim());
  int64_t lead = dst.dim() - src.dim();
  if (lead < 0)
    throw std::invalid_argument("copy_: source " + src.shape_str() + " has more dims than " +
                                dst.shape_str());
  for (int d = 0; d < l.ndim; ++d) {
    l.shape[d] = dst.shape()[d];
    l.stride[0][d] = dst.strides()[d];
    int64_t sd = d - lead;
    if (sd < 0) continue;
    int64_t ss = src.shape()[sd];
    if (ss != dst.shape()[d] && ss != 1)
      throw std::invalid_argument("copy_: cannot broadcast " + src.shape_str() + " to " +
                                  dst.shape_str());
    l.stride[1][d] = ss == 1 ? 0 : src.strides()[sd];
  }
  kernels::coalesce(l, 2);
  return l;
}
}  // namespace

void Tensor::copy_(const Tensor& src) {
  if (device() == src.device()) {
    // On one device: a strided copy with broadcast and dtype conversion.
    kernels::Strided l = copy_layout(*this, src);
    detail::on_device(device(), [&](auto backend) {
      if constexpr (backend.cuda)
        kernels::cuda::copy(l, src.dtype(), src.raw_data(), dtype(), raw_data());
      else
        kernels::cpu::copy(l, src.dtype(), src.raw_data(), dtype(), raw_data());
    });
    return;
  }
  // Across devices: same shape and dtype, both contiguous (to() arranges that).
  if (src.shape() != shape() || src.dtype() != dtype() || !src.is_contiguous() || !is_contiguous())
    throw std::invalid_argument(
        "copy_: a copy between devices needs equal shapes and dtypes and "
        "contiguous tensors, got " +
        src.shape_str() + " on " + src.device().str() + " -> " + shape_str() + " on " +
        device().str());
  if (src.device().is_cpu())
    kernels::cuda::copy_h2d(raw_data(), src.raw_data(), nbytes(), device().index);
  else if (device().is_cpu())
    kernels::cuda::copy_d2h(raw_data(), src.raw_data(), nbytes(), src.device().index);
  else
    kernels::cuda::copy_d2d(raw_data(), src.raw_data(), nbytes(), device().index);
}

void Tensor::fill_(double value) {
  if (!is_contiguous()) {
    copy_(Tensor::full({}, value, dtype(), device()));
    return;
  }
  dispatch_all(dtype(), [&]<class T>() {
    T* p = data_ptr<T>();
    detail::on_device(device(), [&](auto backend) {
      if constexpr (backend.cuda)
        kernels::cuda::fill(p, numel(), static_cast<T>(value));
      else
        kernels::cpu::fill(p, numel(), static_cast<T>(value));
    });
  });
}

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return clone();
}

Tensor Tensor::clone() const {
  Tensor out = Tensor::empty(shape(), dtype(), device());
  out.copy_(*this);
  return attach_grad_fn(out, {*this}, "clone",
                        [](const Tensor& g) { return std::vector<Tensor>{g}; });
}

Tensor Tensor::to(DType dt) const {
  if (dt == dtype()) return *this;
  Tensor out = Tensor::empty(shape(), dt, device());
  out.copy_(*this);
  if (!is_floating(dt) || !is_floating(dtype())) return out;
  DType from = dtype();
  return attach_grad_fn(out, {*this}, "to_dtype",
                        [from](const Tensor& g) { return std::vector<Tensor>{g.to(from)}; });
}

Tensor Tensor::to(Device dev) const {
  if (dev == device()) return *this;
  Tensor src = contiguous();
  Tensor out = Tensor::empty(shape(), dtype(), dev);
  out.copy_(src);
  Device from = device();
  return attach_grad_fn(out, {*this}, "to_device",
                        [from](const Tensor& g) { return std::vector<Tensor>{g.to(from)}; });
}

}  // namespace he
