// Training step of the protocol's small CNN (forward + cross-entropy + backward + a plain
// SGD update), batch 128, images/s at 1 and 2 threads. Data loading is not timed.
#include <benchmark/benchmark.h>

#include "engine/engine.h"
#include "zoo/backbones.h"

namespace {
using namespace he;

void BM_SmallCnnStep(benchmark::State& st) {
  set_num_threads(static_cast<int>(st.range(0)));
  const int64_t batch = 128;
  Generator init(1);
  zoo::SmallCNN net(10, init, std::make_shared<Generator>(2));
  Generator g(3);
  Tensor x = Tensor::randn({batch, 1, 28, 28}, g);
  std::vector<int64_t> labels(batch);
  for (int64_t i = 0; i < batch; ++i) labels[i] = i % 10;
  Tensor y = one_hot(Tensor::from_vector(labels), 10);
  auto params = net.parameters();
  auto step = [&] {
    Tensor logits = net.forward(x);
    Tensor loss = neg(mean(sum(mul(log_softmax(logits, 1), y), {1})));
    net.zero_grad();
    loss.backward();
    NoGradGuard guard;
    for (Tensor& p : params) p.copy_(sub(p, mul(p.grad(), 0.01)));
  };
  for (int i = 0; i < 3; ++i) step();  // warm-up
  for (auto _ : st) step();
  st.counters["images/s"] =
      benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
  st.counters["threads"] = static_cast<double>(st.range(0));
}
BENCHMARK(BM_SmallCnnStep)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(3);
}  // namespace

BENCHMARK_MAIN();
