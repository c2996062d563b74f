// Training step of the protocol's small CNN (forward + cross-entropy + backward + an
// optim::SGD step, as PyTorch's torch.optim.SGD in bench/train_side_by_side.py), batch 128,
// images/s at 1 and 2 threads. Data loading is not timed. Each repetition runs at least 0.5 s;
// bench/train_side_by_side.py takes the median of 9 (--benchmark_repetitions=9).
#include <benchmark/benchmark.h>

#include "engine/engine.h"
#include "kernels/blas.h"
#include "optim/optim.h"
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
  optim::SGD sgd(net.parameters(), optim::SGDOptions{.lr = 0.01});
  auto step = [&] {
    Tensor logits = net.forward(x);
    Tensor loss = neg(mean(sum(mul(log_softmax(logits, 1), y), {1})));
    sgd.zero_grad();
    loss.backward();
    sgd.step();
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
    ->MinTime(0.5);
}  // namespace

int main(int argc, char** argv) {
  // Which GEMM kernels ran: OpenBLAS's choice moves this benchmark by 3x (kernels/blas.h).
  const auto& core = he::kernels::cpu::blas_core();
  benchmark::AddCustomContext("openblas_core", core.name);
  if (!core.note.empty()) benchmark::AddCustomContext("openblas_core_note", core.note);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
