// Convolution, pooling, batch norm and dropout ops, forward + backward, on the CPU (2 threads)
// and on cuda:0 (cuDNN and the kernels of kernels/cuda/{conv,pool,norm,dropout}.cu). The
// first argument picks the device (0 cpu, 1 cuda); CUDA rows report an error where no device
// is usable. Each iteration is one autograd step: forward, backward into the leaves.
#include <benchmark/benchmark.h>

#include <functional>

#include "engine/engine.h"
#include "kernels/conv.h"
#include "kernels/runtime.h"

namespace {
using namespace he;

// The device of a row; false (the row reported as an error) when it has no usable device.
bool pick_device(benchmark::State& st, Device& dev) {
  if (st.range(0) == 0) {
    set_num_threads(2);
    dev = Device::cpu();
    return true;
  }
  if (!kernels::cuda::built() || kernels::cuda::device_count() == 0) {
    st.SkipWithError("no usable CUDA device");
    return false;
  }
  dev = Device::cuda(0);
  return true;
}

Tensor leaf(const Shape& s, Generator& g, Device dev) {
  return Tensor::randn(s, g).to(dev).requires_grad_(true);
}

// Times step() (forward + backward) with the device drained after each iteration.
void run_steps(benchmark::State& st, Device dev, const std::function<void()>& step) {
  step();  // warm-up: allocator bins, cuDNN algorithm choice
  if (dev.is_cuda()) kernels::cuda::synchronize(dev.index);
  for (auto _ : st) {
    step();
    if (dev.is_cuda()) kernels::cuda::synchronize(dev.index);
  }
}

// 3x3 convolution, padding 1, with bias: x(n, c, hw, hw) -> (n, o, hw, hw).
// Args: device, n, c, o, hw.
void BM_Conv2dStep(benchmark::State& st) {
  Device dev;
  if (!pick_device(st, dev)) return;
  const int64_t n = st.range(1), c = st.range(2), o = st.range(3), hw = st.range(4);
  Generator g(1);
  Tensor x = leaf({n, c, hw, hw}, g, dev), w = leaf({o, c, 3, 3}, g, dev), b = leaf({o}, g, dev);
  Conv2dOptions opt;
  opt.pad_h = opt.pad_w = 1;
  run_steps(st, dev, [&] {
    Tensor y = conv2d(x, w, b, opt);
    y.backward(Tensor::ones(y.shape(), y.dtype(), dev));
  });
  // Forward, input gradient and weight gradient: three GEMMs of 2 n o c 9 hw^2 FLOPs.
  const double flops = 3 * 2.0 * n * o * c * 9 * hw * hw;
  st.counters["GFLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
  st.counters["images/s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Conv2dStep)
    ->Args({0, 64, 32, 64, 16})
    ->Args({1, 64, 32, 64, 16})
    ->Args({1, 256, 64, 192, 27})  // AlexNet's second layer size (3x3 here), batch 256
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The small CNN's two 5x5 layers (padding 2, bias), batch 128, 1 thread: the first on the
// 1-channel image with no input gradient (it is the network's input), the second with one.
// Args: c, o, hw, input gradient.
void BM_SmallCnnConv(benchmark::State& st) {
  set_num_threads(1);
  const int64_t n = 128, c = st.range(0), o = st.range(1), hw = st.range(2);
  Generator g(1);
  Tensor x = Tensor::randn({n, c, hw, hw}, g).requires_grad_(st.range(3) != 0);
  Tensor w = leaf({o, c, 5, 5}, g, Device::cpu()), b = leaf({o}, g, Device::cpu());
  Conv2dOptions opt;
  opt.pad_h = opt.pad_w = 2;
  run_steps(st, Device::cpu(), [&] {
    Tensor y = conv2d(x, w, b, opt);
    y.backward(Tensor::ones(y.shape(), y.dtype()));
  });
  st.counters["images/s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_SmallCnnConv)
    ->Args({1, 32, 28, 0})
    ->Args({32, 64, 14, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The CPU's two convolution paths (kernels/conv.h) on one layer, forward + input and filter
// gradients, 1 thread: im2col + OpenBLAS GEMM for all three against what conv2d_* take where
// Winograd applies (Winograd for the first two, the direct filter gradient; skipped without
// AVX-512F). Args: path (0 im2col, 1 Winograd), n, c, o, hw, k (padding k / 2).
void BM_Conv2dAlgorithm(benchmark::State& st) {
  set_num_threads(1);
  const bool winograd = st.range(0) != 0;
  const int64_t n = st.range(1), c = st.range(2), o = st.range(3), hw = st.range(4),
                k = st.range(5);
  const kernels::ConvGeom g{n, c, hw, hw, k, k, 1, 1, k / 2, k / 2, 1, 1, hw, hw, o, 1};
  if (winograd && !kernels::cpu::conv2d_winograd_applies(g)) {
    st.SkipWithError("no AVX-512F");
    return;
  }
  Generator gen(1);
  const Tensor x = Tensor::randn({n, c, hw, hw}, gen), w = Tensor::randn({o, c, k, k}, gen);
  const Tensor gy = Tensor::randn({n, o, hw, hw}, gen);
  Tensor y = Tensor::zeros({n, o, hw, hw}), gx = Tensor::zeros(x.shape()),
         gw = Tensor::zeros(w.shape());
  for (auto _ : st) {
    if (winograd) {
      kernels::cpu::conv2d_winograd_forward(g, x.data<float>(), w.data<float>(), nullptr,
                                            y.data<float>());
      kernels::cpu::conv2d_winograd_backward(g, x.data<float>(), w.data<float>(), gy.data<float>(),
                                             gx.data<float>(), gw.data<float>());
    } else {
      kernels::cpu::conv2d_im2col_forward<float>(g, x.data<float>(), w.data<float>(), nullptr,
                                                 y.data<float>());
      kernels::cpu::conv2d_im2col_backward<float>(g, x.data<float>(), w.data<float>(),
                                                  gy.data<float>(), gx.data<float>(),
                                                  gw.data<float>());
    }
    benchmark::DoNotOptimize(gw.data<float>());
  }
  // Direct-convolution FLOPs (forward and the two gradients), whatever the algorithm does.
  const double flops = 3 * 2.0 * n * o * c * k * k * hw * hw;
  st.counters["GFLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate);
  st.counters["images/s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Conv2dAlgorithm)
    ->Args({0, 128, 32, 64, 14, 5})  // the small CNN's second layer
    ->Args({1, 128, 32, 64, 14, 5})
    ->Args({0, 32, 64, 64, 28, 3})  // a VGG-style 3x3 layer
    ->Args({1, 32, 64, 64, 28, 3})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Max pooling 3x3 stride 2, batch norm over (n, c, hw, hw) and dropout 0.5 on the same input.
// Args: device, n, c, hw.
void BM_PoolNormDropoutStep(benchmark::State& st) {
  Device dev;
  if (!pick_device(st, dev)) return;
  const int64_t n = st.range(1), c = st.range(2), hw = st.range(3);
  Generator g(1), drop(2);
  Tensor x = leaf({n, c, hw, hw}, g, dev), w = leaf({c}, g, dev), b = leaf({c}, g, dev);
  run_steps(st, dev, [&] {
    Tensor y = dropout(max_pool2d(batch_norm_train(x, w, b, 1e-5).y, 3, 2, 1), 0.5, drop);
    y.backward(Tensor::ones(y.shape(), y.dtype(), dev));
  });
  st.counters["GB/s"] = benchmark::Counter(4.0 * n * c * hw * hw * 6,  // ~6 passes over x
                                           benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_PoolNormDropoutStep)
    ->Args({0, 64, 32, 32})
    ->Args({1, 64, 32, 32})
    ->Args({1, 256, 64, 55})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
