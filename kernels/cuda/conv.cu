// Convolution and its transpose on CUDA through cuDNN (kernels/conv.h). All six passes are the
// three cuDNN primitives of the one convolution g: forward (x -> y), backward data (y-shaped ->
// x-shaped) and backward filter, plus the bias add and bias gradient. The transposed
// convolution's forward is g's backward data, its input gradient g's forward, and its weight
// gradient g's backward filter with the roles of x and dy exchanged.
#include <array>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>

#include "kernels/conv.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/context.h"
#ifdef ENGINE_HAVE_CUDNN
#include "kernels/cuda/cudnn_util.h"
#endif

namespace he::kernels::cuda {

#ifdef ENGINE_HAVE_CUDNN
namespace {

using dnn::Blend;
using dnn::FilterDesc;
using dnn::TensorDesc;

std::string describe(const ConvGeom& g) {
  auto s = [](int64_t v) { return std::to_string(v); };
  return "x(" + s(g.n) + "," + s(g.c) + "," + s(g.h) + "," + s(g.w) + ") w(" + s(g.o) + "," +
         s(g.c / g.groups) + "," + s(g.kh) + "," + s(g.kw) + ") stride " + s(g.sh) + "x" + s(g.sw) +
         " pad " + s(g.ph) + "x" + s(g.pw) + " dilation " + s(g.dh) + "x" + s(g.dw) + " groups " +
         s(g.groups);
}

// The descriptors of convolution g: x(n,c,h,w), y(n,o,oh,ow), w(o,c/groups,kh,kw) and the
// per-channel bias shapes (1,o,1,1) and (1,c,1,1). FMA math only: no TF32 for f32, as in the
// GEMMs (kernels/blas.h).
struct ConvDescs {
  TensorDesc x, y, bias_o, bias_c;
  FilterDesc w;
  dnn::ConvolutionDesc conv;
  ConvDescs(const ConvGeom& g, cudnnDataType_t t, const char* op)
      : x(t, g.n, g.c, g.h, g.w, op),
        y(t, g.n, g.o, g.oh, g.ow, op),
        bias_o(t, 1, g.o, 1, 1, op),
        bias_c(t, 1, g.c, 1, 1, op),
        w(t, g.o, g.c / g.groups, g.kh, g.kw, op) {
    using dnn::to_int;
    HE_CUDNN_CHECK(cudnnSetConvolution2dDescriptor(
        conv.get(), to_int(g.ph, op), to_int(g.pw, op), to_int(g.sh, op), to_int(g.sw, op),
        to_int(g.dh, op), to_int(g.dw, op), CUDNN_CROSS_CORRELATION, t));
    HE_CUDNN_CHECK(cudnnSetConvolutionGroupCount(conv.get(), to_int(g.groups, op)));
    HE_CUDNN_CHECK(cudnnSetConvolutionMathType(conv.get(), CUDNN_FMA_MATH));
    int n = 0, c = 0, h = 0, w_ = 0;
    HE_CUDNN_CHECK(
        cudnnGetConvolution2dForwardOutputDim(conv.get(), x.get(), w.get(), &n, &c, &h, &w_));
    if (n != g.n || c != g.o || h != g.oh || w_ != g.ow)
      throw std::logic_error(std::string(op) + " (cuda): cuDNN's output " + std::to_string(h) +
                             "x" + std::to_string(w_) + " differs from the geometry's for " +
                             describe(g));
  }
};

enum class Pass { Forward, BackwardData, BackwardFilter };

// The fastest algorithm that ran, a deterministic one when any did.
template <class Perf>
int pick(const Perf* perf, int count, const ConvGeom& g, const char* pass) {
  for (bool need_deterministic : {true, false})
    for (int i = 0; i < count; ++i)
      if (perf[i].status == CUDNN_STATUS_SUCCESS &&
          (!need_deterministic || perf[i].determinism == CUDNN_DETERMINISTIC))
        return static_cast<int>(perf[i].algo);
  throw std::runtime_error(std::string("cuDNN has no ") + pass + " algorithm for " + describe(g));
}

int find_algorithm(Pass pass, cudnnHandle_t h, const ConvDescs& d, const ConvGeom& g) {
  int count = 0;
  switch (pass) {
    case Pass::Forward: {
      cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
      HE_CUDNN_CHECK(
          cudnnFindConvolutionForwardAlgorithm(h, d.x.get(), d.w.get(), d.conv.get(), d.y.get(),
                                               CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &count, perf));
      return pick(perf, count, g, "forward");
    }
    case Pass::BackwardData: {
      cudnnConvolutionBwdDataAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT];
      HE_CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithm(
          h, d.w.get(), d.y.get(), d.conv.get(), d.x.get(), CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT,
          &count, perf));
      return pick(perf, count, g, "backward-data");
    }
    case Pass::BackwardFilter: {
      cudnnConvolutionBwdFilterAlgoPerf_t perf[CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT];
      HE_CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithm(
          h, d.x.get(), d.y.get(), d.conv.get(), d.w.get(), CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT,
          &count, perf));
      return pick(perf, count, g, "backward-filter");
    }
  }
  throw std::logic_error("conv (cuda): unknown pass");
}

// Algorithm choice per (device, dtype, pass, shape), found by timing once (cudnnFind*) and
// kept for the process: part of the per-device cuDNN state.
int algorithm(Pass pass, Context& ctx, cudnnHandle_t h, const ConvDescs& d, const ConvGeom& g,
              cudnnDataType_t t) {
  using Key = std::array<int64_t, 17>;
  static std::mutex mu;
  static std::map<Key, int> chosen;
  const Key key{ctx.device,
                static_cast<int64_t>(t),
                static_cast<int64_t>(pass),
                g.n,
                g.c,
                g.h,
                g.w,
                g.o,
                g.kh,
                g.kw,
                g.sh,
                g.sw,
                g.ph,
                g.pw,
                g.dh,
                g.dw,
                g.groups};
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = chosen.find(key); it != chosen.end()) return it->second;
  }
  const int algo = find_algorithm(pass, h, d, g);
  std::lock_guard<std::mutex> lock(mu);
  chosen.emplace(key, algo);
  return algo;
}

// One call's state: the context (its mutex held: the workspace is shared), handle and
// descriptors.
template <class T>
struct Call {
  Context& ctx;
  std::lock_guard<std::mutex> lock;
  cudnnHandle_t h;
  cudnnDataType_t t = dnn::data_type<T>();
  ConvDescs d;
  const ConvGeom& g;
  Blend<T> k;
  Call(const ConvGeom& geom, const char* op)
      : ctx(current_context()), lock(ctx.mu), h(ctx.cudnn_handle()), d(geom, t, op), g(geom) {}

  // y = conv(x, w)
  void forward(const T* x, const T* w, T* y) {
    const auto algo =
        static_cast<cudnnConvolutionFwdAlgo_t>(algorithm(Pass::Forward, ctx, h, d, g, t));
    size_t bytes = 0;
    HE_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(h, d.x.get(), d.w.get(), d.conv.get(),
                                                           d.y.get(), algo, &bytes));
    void* ws = ctx.workspace(bytes);
    HE_CUDNN_CHECK(cudnnConvolutionForward(h, &k.one, d.x.get(), x, d.w.get(), w, d.conv.get(),
                                           algo, ws, bytes, &k.zero, d.y.get(), y));
  }
  // dx = conv^T(dy, w)
  void backward_data(const T* w, const T* dy, T* dx) {
    const auto algo =
        static_cast<cudnnConvolutionBwdDataAlgo_t>(algorithm(Pass::BackwardData, ctx, h, d, g, t));
    size_t bytes = 0;
    HE_CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(
        h, d.w.get(), d.y.get(), d.conv.get(), d.x.get(), algo, &bytes));
    void* ws = ctx.workspace(bytes);
    HE_CUDNN_CHECK(cudnnConvolutionBackwardData(h, &k.one, d.w.get(), w, d.y.get(), dy,
                                                d.conv.get(), algo, ws, bytes, &k.zero, d.x.get(),
                                                dx));
  }
  // dw = sum over images and positions of dy (x) im2col(x)
  void backward_filter(const T* x, const T* dy, T* dw) {
    const auto algo = static_cast<cudnnConvolutionBwdFilterAlgo_t>(
        algorithm(Pass::BackwardFilter, ctx, h, d, g, t));
    size_t bytes = 0;
    HE_CUDNN_CHECK(cudnnGetConvolutionBackwardFilterWorkspaceSize(
        h, d.x.get(), d.y.get(), d.conv.get(), d.w.get(), algo, &bytes));
    void* ws = ctx.workspace(bytes);
    HE_CUDNN_CHECK(cudnnConvolutionBackwardFilter(h, &k.one, d.x.get(), x, d.y.get(), dy,
                                                  d.conv.get(), algo, ws, bytes, &k.zero, d.w.get(),
                                                  dw));
  }
  // t(n, channels, ...) += bias[channel]
  void add_bias(const cudnnTensorDescriptor_t bias_desc, const T* bias,
                const cudnnTensorDescriptor_t out_desc, T* out) {
    HE_CUDNN_CHECK(cudnnAddTensor(h, &k.one, bias_desc, bias, &k.one, out_desc, out));
  }
  // db[channel] = sum of dy over images and positions
  void bias_grad(const cudnnTensorDescriptor_t dy_desc, const T* dy,
                 const cudnnTensorDescriptor_t db_desc, T* db) {
    HE_CUDNN_CHECK(cudnnConvolutionBackwardBias(h, &k.one, dy_desc, dy, &k.zero, db_desc, db));
  }
};

}  // namespace

template <class T>
void conv2d_forward(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y) {
  Call<T> c(g, "conv2d");
  c.forward(x, w, y);
  if (bias) c.add_bias(c.d.bias_o.get(), bias, c.d.y.get(), y);
}

template <class T>
void conv2d_backward(const ConvGeom& g, const T* x, const T* w, const T* gy, T* gx, T* gw, T* gb) {
  Call<T> c(g, "conv2d backward");
  if (gx) c.backward_data(w, gy, gx);
  if (gw) c.backward_filter(x, gy, gw);
  if (gb) c.bias_grad(c.d.y.get(), gy, c.d.bias_o.get(), gb);
}

template <class T>
void conv_transpose2d_forward(const ConvGeom& g, const T* x, const T* w, const T* bias, T* y) {
  Call<T> c(g, "conv_transpose2d");
  c.backward_data(w, x, y);
  if (bias) c.add_bias(c.d.bias_c.get(), bias, c.d.x.get(), y);
}

template <class T>
void conv_transpose2d_backward(const ConvGeom& g, const T* x, const T* w, const T* gy, T* gx, T* gw,
                               T* gb) {
  Call<T> c(g, "conv_transpose2d backward");
  if (gx) c.forward(gy, w, gx);
  if (gw) c.backward_filter(gy, x, gw);
  if (gb) c.bias_grad(c.d.x.get(), gy, c.d.bias_c.get(), gb);
}

#else  // built without cuDNN

namespace {
[[noreturn]] void no_cudnn(const char* op) {
  throw std::runtime_error(std::string(op) +
                           " (cuda): this build found no cuDNN (kernels/CMakeLists.txt)");
}
}  // namespace

template <class T>
void conv2d_forward(const ConvGeom&, const T*, const T*, const T*, T*) {
  no_cudnn("conv2d");
}
template <class T>
void conv2d_backward(const ConvGeom&, const T*, const T*, const T*, T*, T*, T*) {
  no_cudnn("conv2d backward");
}
template <class T>
void conv_transpose2d_forward(const ConvGeom&, const T*, const T*, const T*, T*) {
  no_cudnn("conv_transpose2d");
}
template <class T>
void conv_transpose2d_backward(const ConvGeom&, const T*, const T*, const T*, T*, T*, T*) {
  no_cudnn("conv_transpose2d backward");
}

#endif

#define HE_INSTANTIATE(T)                                                                       \
  template void conv2d_forward<T>(const ConvGeom&, const T*, const T*, const T*, T*);           \
  template void conv2d_backward<T>(const ConvGeom&, const T*, const T*, const T*, T*, T*, T*);  \
  template void conv_transpose2d_forward<T>(const ConvGeom&, const T*, const T*, const T*, T*); \
  template void conv_transpose2d_backward<T>(const ConvGeom&, const T*, const T*, const T*, T*, \
                                             T*, T*);
HE_INSTANTIATE(float)
HE_INSTANTIATE(double)

}  // namespace he::kernels::cuda
