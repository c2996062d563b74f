// The op table (tests/engine/op_cases.h), third way: every row's forward and backward
// (through sum(out)), timed on the CPU in f64 and f32 and, when a CUDA device is usable, on
// it too (each iteration waits for the device). The table's shapes are small, so the times
// show what an op costs beyond its arithmetic: dispatch, allocation, launches, autograd.
//   build/bin/bench_ops [--benchmark_filter=matmul]
#include <benchmark/benchmark.h>

#include <string>

#include "../tests/engine/op_cases.h"
#include "kernels/runtime.h"

namespace {

using he::testing::In;
using he::testing::OpCase;

In leaves_on(const In& inputs, he::DType dt, he::Device dev) {
  In out;
  for (const he::Tensor& t : inputs) {
    he::Tensor c = t.detach().to(dt).to(dev).clone().detach();
    if (t.requires_grad()) c.requires_grad_();
    out.push_back(c);
  }
  return out;
}

void run_case(benchmark::State& state, const OpCase& c, he::DType dt, he::Device dev) {
  In in = leaves_on(c.inputs(), dt, dev);
  for (auto _ : state) {
    he::Tensor out = c.f(in);
    if (out.requires_grad()) he::sum(out).backward();
    if (dev.is_cuda()) he::kernels::cuda::synchronize(dev.index);
    for (he::Tensor& t : in) t.zero_grad();
  }
}

}  // namespace

int main(int argc, char** argv) {
  const bool cuda = he::kernels::cuda::built() && he::kernels::cuda::device_count() > 0;
  for (const OpCase& c : he::testing::op_cases()) {
    for (he::DType dt : {he::DType::f64, he::DType::f32}) {
      const std::string suffix = std::string("/") + he::dtype_name(dt);
      benchmark::RegisterBenchmark(("cpu/" + c.name + suffix).c_str(),
                                   [c, dt](auto& st) { run_case(st, c, dt, he::Device::cpu()); });
      if (cuda)
        benchmark::RegisterBenchmark(("cuda/" + c.name + suffix).c_str(), [c, dt](auto& st) {
          run_case(st, c, dt, he::Device::cuda(0));
        });
    }
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
