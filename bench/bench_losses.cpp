// Hashing losses at protocol sizes: forward + backward of a batch of 128 codes of 64 bits,
// in-batch (B x B pairs) and against the 60,000-row memory bank of the training set.
#include <benchmark/benchmark.h>

#include "engine/engine.h"
#include "losses/hashing.h"
#include "losses/similarity.h"

namespace {
using namespace he;

Tensor int_labels(int64_t n, uint64_t seed) {
  Generator g(seed);
  std::vector<int64_t> v(n);
  for (auto& x : v) x = static_cast<int64_t>(g.below(10));
  return Tensor::from_vector(v);
}

void BM_InBatch(benchmark::State& st) {
  set_num_threads(2);
  Generator g(1);
  Tensor u = Tensor::randn({128, 64}, g).requires_grad_();
  Tensor S = losses::similarity(int_labels(128, 2));
  for (auto _ : st) {
    u.zero_grad();
    Tensor l = st.range(0) == 0 ? losses::dsh(u, S) : losses::hashnet(tanh(u), S);
    l.backward();
  }
}
BENCHMARK(BM_InBatch)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

void BM_DpshBank(benchmark::State& st) {
  set_num_threads(2);
  Generator g(1);
  Tensor u = Tensor::randn({128, 64}, g).requires_grad_();
  Tensor U = Tensor::randn({60000, 64}, g);
  Tensor S = losses::similarity(int_labels(128, 2), int_labels(60000, 3));
  for (auto _ : st) {
    u.zero_grad();
    losses::dpsh_bank(u, U, S).backward();
  }
}
BENCHMARK(BM_DpshBank)->Unit(benchmark::kMillisecond);
}  // namespace

BENCHMARK_MAIN();
