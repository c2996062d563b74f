#pragma once
// Tensor: a cheap handle (shared_ptr) to an impl holding shared storage, shape, strides (in
// elements), offset, dtype and autograd state. Views share storage; ops live in engine/ops.h.
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kernels/dtype.h"

namespace he {

using Shape = std::vector<int64_t>;

struct Storage {
  void* data = nullptr;
  size_t nbytes = 0;  // usable bytes
  size_t binned = 0;  // size the allocator handed out
  Device device;
  bool owned = true;  // false: wraps memory someone else frees (e.g. a memory map)
  Storage(size_t bytes, Device d);
  Storage(void* external, size_t bytes, Device d);  // not owned
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

struct Node;
struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape shape, strides;
  int64_t offset = 0;
  DType dtype = DType::f32;
  bool requires_grad = false;
  std::shared_ptr<TensorImpl> grad;  // accumulated by backward() on leaves
  std::shared_ptr<Node> grad_fn;     // set on results of recorded ops
};

class Generator;

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- creation ----
  static Tensor empty(const Shape& shape, DType dt = DType::f32, Device dev = Device::cpu());
  static Tensor zeros(const Shape& shape, DType dt = DType::f32, Device dev = Device::cpu());
  static Tensor ones(const Shape& shape, DType dt = DType::f32, Device dev = Device::cpu());
  static Tensor full(const Shape& shape, double value, DType dt = DType::f32,
                     Device dev = Device::cpu());
  static Tensor scalar(double value, DType dt = DType::f32);
  static Tensor arange(double start, double end, double step = 1, DType dt = DType::f32);
  template <class T>
  static Tensor from_vector(const std::vector<T>& v, const Shape& shape);
  template <class T>
  static Tensor from_vector(const std::vector<T>& v) {
    return from_vector(v, {static_cast<int64_t>(v.size())});
  }
  // Wraps memory the caller keeps alive (no copy, no ownership).
  static Tensor wrap(void* data, const Shape& shape, DType dt);
  // Philox streams: each draw advances `gen` by numel counters (see engine/random.h).
  static Tensor rand(const Shape& shape, Generator& gen, DType dt = DType::f32);  // U[0,1)
  static Tensor randn(const Shape& shape, Generator& gen, DType dt = DType::f32);
  static Tensor uniform(const Shape& shape, double lo, double hi, Generator& gen,
                        DType dt = DType::f32);
  static Tensor bernoulli(const Shape& shape, double p, Generator& gen, DType dt = DType::f32);
  static Tensor randperm(int64_t n, Generator& gen);  // i64

  // ---- metadata ----
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl_->shape; }
  const Shape& strides() const { return impl_->strides; }
  int64_t dim() const { return static_cast<int64_t>(impl_->shape.size()); }
  int64_t size(int64_t d) const;  // negative d counts from the end
  int64_t numel() const;
  int64_t offset() const { return impl_->offset; }
  DType dtype() const { return impl_->dtype; }
  Device device() const { return impl_->storage->device; }
  bool is_contiguous() const;
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype()); }
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same(const Tensor& o) const { return impl_ == o.impl_; }
  std::string shape_str() const;

  // ---- data access ----
  void* raw_data() const;  // pointer to element 0 (offset applied), on the tensor's device
  template <class T>
  T* data() const;  // host memory only: checks dtype and that the tensor is on the CPU
  // Pointer to element 0 in the memory of the tensor's own device (host or CUDA), for the
  // kernels that run there; checks the dtype only.
  template <class T>
  T* data_ptr() const;
  template <class T>
  T item() const;  // single-element tensor to a C++ value
  double item_double() const;
  template <class T>
  std::vector<T> to_vector() const;  // row-major copy (any layout)

  // ---- autograd ----
  bool requires_grad() const { return impl_->requires_grad; }
  Tensor& requires_grad_(bool on = true);
  Tensor grad() const { return Tensor(impl_->grad); }
  void zero_grad() { impl_->grad.reset(); }
  void set_grad(const Tensor& g) { impl_->grad = g.impl_; }
  bool is_leaf() const { return impl_->grad_fn == nullptr; }
  Tensor detach() const;  // same storage, no graph
  void backward(const Tensor& grad = Tensor(), bool retain_graph = false) const;

  // ---- views (share storage; differentiable) ----
  Tensor reshape(const Shape& shape) const;  // view when the layout allows, else a copy
  Tensor view(const Shape& shape) const;     // throws when not expressible as a view
  Tensor flatten(int64_t start = 0, int64_t end = -1) const;
  Tensor transpose(int64_t a, int64_t b) const;
  Tensor t() const { return transpose(0, 1); }
  Tensor permute(const Shape& order) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;  // removes dim
  Tensor expand(const Shape& shape) const;
  Tensor squeeze(int64_t dim) const;
  Tensor squeeze() const;
  Tensor unsqueeze(int64_t dim) const;

  // ---- copies ----
  Tensor contiguous() const;  // this when already contiguous
  Tensor clone() const;
  Tensor to(DType dt) const;
  Tensor to(Device dev) const;
  // In-place, outside autograd (optimisers, loaders): copies src (broadcast) into this.
  void copy_(const Tensor& src);
  void fill_(double value);

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// Row-major strides of a contiguous tensor of `shape`.
Shape contiguous_strides(const Shape& shape);
int64_t shape_numel(const Shape& shape);
std::string shape_to_string(const Shape& shape);
// Normalises a possibly negative dim against ndim; throws naming `op` when out of range.
int64_t wrap_dim(int64_t d, int64_t ndim, const char* op);
// A fresh tensor sharing `base`'s storage with another layout (no autograd).
Tensor make_view(const Tensor& base, Shape shape, Shape strides, int64_t offset);

std::string to_string(const Tensor& t);  // NumPy-like, values truncated (engine/print.cpp)

}  // namespace he
