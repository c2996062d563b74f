// A global batch split over ranks (layers/batch_split.h) computes what one process computes
// on the whole batch: dropout masks, sync batch norm (forward, backward, running statistics),
// the gather of rows and its gradient; sharded encoding. The DistCollectives tests hold for any
// number of ranks (test_comm.cpp's DistMpirun runs them under mpirun -np 2 and 3); run alone they
// check the group of one. Every rank builds the same global tensors from one seed and computes the
// whole-batch reference itself, so each compares against it directly.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/dist/comm.h"
#include "engine/ops.h"
#include "gradcheck.h"
#include "layers/layers.h"
#include "zoo/data_parallel.h"
#include "zoo/encode.h"
#include "zoo/model.h"

using namespace he;

namespace {
// The largest |a - b| over all elements (same shape, f32 or f64).
double max_abs_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  std::vector<double> x = a.to(DType::f64).to_vector<double>(),
                      y = b.to(DType::f64).to_vector<double>();
  double m = 0;
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
  return m;
}

// This rank's rows of x, with a backward that stands for the trainer's gradient averaging:
// the rows' gradient (`ranks` times this rank's share, layers/batch_split.h) placed in a
// whole-batch tensor, summed over ranks and divided by their number. Every rank then holds
// the whole batch's true gradient, as one process would.
Tensor my_rows(const Tensor& x, const nn::BatchSplit& s) {
  Tensor rows = x.detach().narrow(0, s.begin, s.rows).contiguous();
  return attach_grad_fn(rows, {x}, "my_rows", [s, shape = x.shape()](const Tensor& g) {
    Tensor full = Tensor::zeros(shape, g.dtype());
    full.narrow(0, s.begin, s.rows).copy_(g);
    s.sum(full);
    return std::vector<Tensor>{div(full, static_cast<double>(s.ranks))};
  });
}
}  // namespace

TEST(DistSplit, DropoutRowsGiveTheWholeBatchMaskAndAdvanceAlike) {
  Generator data(3);
  Tensor x = Tensor::randn({7, 3, 2}, data, DType::f64);
  Generator whole(11), part(11);
  Tensor ref = dropout(x, 0.4, whole);
  for (auto [begin, rows] : {std::pair<int64_t, int64_t>{0, 3}, {3, 4}}) {
    Generator g(11);
    Tensor y = dropout_rows(x.narrow(0, begin, rows).contiguous(), 0.4, g, begin, 7);
    EXPECT_EQ(max_abs_diff(y, ref.narrow(0, begin, rows)), 0.0) << "rows from " << begin;
    EXPECT_EQ(g.offset(), whole.offset());
  }
  EXPECT_THROW(dropout_rows(x, 0.4, part, 1, 7), std::invalid_argument);  // rows 1..8 of 7
}

// Sync batch norm, dropout and the gather on this rank's rows equal the layers on the whole
// batch: outputs, the input's gradient, the parameters' averaged gradients and the running
// statistics.
TEST(DistCollectives, SplitLayersEqualTheWholeBatch) {
  dist::World& w = dist::World::get();
  const int64_t B = 7;
  std::shared_ptr<const nn::BatchSplit> s = zoo::batch_split(B, w);
  Generator data(5);
  Tensor x = Tensor::randn({B, 4, 3, 3}, data, DType::f64);
  x.requires_grad_();
  Tensor pair_w = Tensor::randn({B, B}, data, DType::f64);
  auto run = [&](std::shared_ptr<const nn::BatchSplit> split, nn::BatchNorm& bn, Tensor& xin) {
    auto gen = std::make_shared<Generator>(9);
    nn::Dropout drop(0.3, gen);
    bn.split = drop.split = split;
    Tensor in = split ? my_rows(xin, *split) : xin;
    Tensor y = drop.forward(bn.forward(in)).flatten(1);
    Tensor all = split ? nn::gather_rows(y, *split) : y;
    Tensor loss = sum(mul(matmul(all, all.t()), pair_w));  // couples every pair of rows
    loss.backward();
    return all.detach();
  };
  nn::BatchNorm ref_bn(4, 1e-5, 0.1, DType::f64), split_bn(4, 1e-5, 0.1, DType::f64);
  for (nn::BatchNorm* bn : {&ref_bn, &split_bn}) {
    Generator g(2);
    bn->weight.detach().copy_(Tensor::uniform({4}, 0.5, 1.5, g, DType::f64));
    bn->bias.detach().copy_(Tensor::uniform({4}, -0.5, 0.5, g, DType::f64));
  }
  Tensor y_ref = run(nullptr, ref_bn, x);
  Tensor gx_ref = x.grad().clone();
  x.zero_grad();
  Tensor y = run(s, split_bn, x);
  EXPECT_LT(max_abs_diff(y, y_ref), 1e-12);
  EXPECT_LT(max_abs_diff(x.grad(), gx_ref), 1e-10);
  // The parameters' gradients averaged over ranks, as the trainer does.
  for (auto [a, b] :
       {std::pair{&split_bn.weight, &ref_bn.weight}, {&split_bn.bias, &ref_bn.bias}}) {
    Tensor g = a->grad().clone();
    s->sum(g);
    EXPECT_LT(max_abs_diff(div(g, static_cast<double>(s->ranks)), b->grad()), 1e-10);
  }
  EXPECT_LT(max_abs_diff(split_bn.running_mean, ref_bn.running_mean), 1e-14);
  EXPECT_LT(max_abs_diff(split_bn.running_var, ref_bn.running_var), 1e-14);
}

// Finite differences through sync batch norm and the gather, every rank perturbing the same
// element of the whole batch in step (the collectives stay matched).
TEST(DistCollectives, SplitBatchNormAndGatherPassAGradientCheck) {
  dist::World& w = dist::World::get();
  const int64_t B = 5;
  std::shared_ptr<const nn::BatchSplit> s = zoo::batch_split(B, w);
  nn::BatchNorm bn(3, 1e-5, 0.1, DType::f64);
  bn.split = s;
  Tensor x = he::testing::leaf({B, 3}, 21, -2, 2);
  EXPECT_TRUE(he::testing::gradcheck(
      [&](const std::vector<Tensor>& in) {
        Tensor all = nn::gather_rows(tanh(bn.forward(my_rows(in[0], *s))), *s);
        return matmul(all, all.t());
      },
      {x}));
}

// Sharded encoding: each rank encodes its block of the set's batches and all get every row,
// bit for bit what one process's encode_set gives (2,500 images in batches of 1,000: the
// ranks' blocks are uneven, and with 3 ranks one rank's is a short last batch).
TEST(DistCollectives, ShardedEncodingEqualsOneProcess) {
  zoo::ModelConfig c;
  c.bits = 16;
  c.image_size = 16;
  c.seed = 4;
  std::shared_ptr<zoo::HashModel> model = zoo::make_model("hashnet", c);
  data::ImageSet set;
  set.n = 2500, set.c = 1, set.h = set.w = 16;
  Generator g(6);
  std::vector<float> noise = Tensor::rand({set.n * 256}, g).to_vector<float>();
  for (float v : noise) set.pixels.push_back(static_cast<uint8_t>(v * 255));
  Tensor one = zoo::encode_set(*model, set).contiguous();
  Tensor sharded = zoo::encode_set_sharded(*model, set, dist::World::get());
  ASSERT_EQ(sharded.shape(), one.shape());
  EXPECT_EQ(sharded.to_vector<float>(), one.to_vector<float>());
  EXPECT_TRUE(model->is_training());  // left as it was
}
