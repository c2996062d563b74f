#pragma once
// cuDNN plumbing of the CUDA kernels (internal to kernels/cuda, only with ENGINE_HAVE_CUDNN):
// the error check, owning descriptor wrappers and the dtype map. Every cuDNN call goes
// through HE_CUDNN_CHECK, which throws naming the call, the file and line and cuDNN's message.
#include <cudnn.h>

#include <climits>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "kernels/cuda/check.h"

namespace he::kernels::cuda::detail {

inline void check_cudnn(cudnnStatus_t s, const char* what, const char* file, int line) {
  if (s != CUDNN_STATUS_SUCCESS) throw_cuda(what, cudnnGetErrorString(s), file, line);
}

}  // namespace he::kernels::cuda::detail

#define HE_CUDNN_CHECK(expr) \
  ::he::kernels::cuda::detail::check_cudnn((expr), #expr, __FILE__, __LINE__)

namespace he::kernels::cuda::dnn {

template <class T>
cudnnDataType_t data_type() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>, "f32 or f64");
  return std::is_same_v<T, float> ? CUDNN_DATA_FLOAT : CUDNN_DATA_DOUBLE;
}

// cuDNN's descriptors take int sizes.
inline int to_int(int64_t v, const char* op) {
  if (v < 0 || v > INT_MAX)
    throw std::invalid_argument(std::string(op) + " (cuda): size " + std::to_string(v) +
                                " does not fit cuDNN's int");
  return static_cast<int>(v);
}

// One owning wrapper per descriptor kind: created in the constructor, destroyed (unchecked,
// destructors must not throw) in the destructor.
template <class D, cudnnStatus_t (*Create)(D*), cudnnStatus_t (*Destroy)(D)>
class Desc {
 public:
  Desc() { HE_CUDNN_CHECK(Create(&d_)); }
  ~Desc() { Destroy(d_); }
  Desc(const Desc&) = delete;
  Desc& operator=(const Desc&) = delete;
  D get() const { return d_; }

 private:
  D d_{};
};

class TensorDesc : public Desc<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor,
                               cudnnDestroyTensorDescriptor> {
 public:
  // Contiguous NCHW.
  TensorDesc(cudnnDataType_t t, int64_t n, int64_t c, int64_t h, int64_t w, const char* op) {
    HE_CUDNN_CHECK(cudnnSetTensor4dDescriptor(get(), CUDNN_TENSOR_NCHW, t, to_int(n, op),
                                              to_int(c, op), to_int(h, op), to_int(w, op)));
  }
};

class FilterDesc : public Desc<cudnnFilterDescriptor_t, cudnnCreateFilterDescriptor,
                               cudnnDestroyFilterDescriptor> {
 public:
  // (k out, c in per group, h, w), contiguous.
  FilterDesc(cudnnDataType_t t, int64_t k, int64_t c, int64_t h, int64_t w, const char* op) {
    HE_CUDNN_CHECK(cudnnSetFilter4dDescriptor(get(), t, CUDNN_TENSOR_NCHW, to_int(k, op),
                                              to_int(c, op), to_int(h, op), to_int(w, op)));
  }
};

using ConvolutionDesc = Desc<cudnnConvolutionDescriptor_t, cudnnCreateConvolutionDescriptor,
                             cudnnDestroyConvolutionDescriptor>;
using PoolingDesc =
    Desc<cudnnPoolingDescriptor_t, cudnnCreatePoolingDescriptor, cudnnDestroyPoolingDescriptor>;

// The scaling factors alpha = 1, beta = 0 in the type cuDNN reads them as: double for f64
// data, float otherwise.
template <class T>
struct Blend {
  T one = 1, zero = 0;
};

}  // namespace he::kernels::cuda::dnn
