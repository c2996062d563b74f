// The data-parallel hooks of the trainer (zoo/data_parallel.h). The DistCollectives tests
// hold for any number of ranks; test_comm.cpp's DistMpirun runs them under mpirun -np 2 and 3.
#include <gtest/gtest.h>

#include "engine/dist/comm.h"
#include "engine/ops.h"
#include "zoo/data_parallel.h"

using namespace he;

TEST(DistCollectives, RankSlicesTileTheBatchInOrder) {
  dist::World& w = dist::World::get();
  zoo::TrainBatch b{Tensor::arange(0, 14).reshape({7, 2}), Tensor::arange(0, 7),
                    Tensor::arange(100, 107)};
  zoo::TrainBatch mine = zoo::rank_slice(b, w);
  const dist::Shard s = dist::shard_rows(7, w.rank(), w.size());
  ASSERT_EQ(mine.images.size(0), static_cast<int64_t>(s.size()));
  std::vector<int64_t> rows = w.allgatherv(std::vector<int64_t>(
      mine.labels.data<float>(), mine.labels.data<float>() + mine.labels.numel()));
  for (size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i], static_cast<int64_t>(i));
  for (int64_t i = 0; i < mine.images.size(0); ++i) {
    EXPECT_EQ(mine.images.data<float>()[2 * i], 2.0f * (s.begin + i));
    EXPECT_EQ(mine.indices.data<float>()[i], 100.0f + s.begin + i);
  }
}

TEST(DistCollectives, GradientsBecomeTheirMeanOverRanks) {
  dist::World& w = dist::World::get();
  const int r = w.rank(), p = w.size();
  Tensor a = Tensor::ones({3, 4}), b = Tensor::ones({5}), frozen = Tensor::ones({2});
  a.requires_grad_();
  b.requires_grad_();
  // d/da = r + 1 everywhere, d/db = -(r + 1); `frozen` gets no gradient and stays so.
  Tensor loss = sum(a) * (r + 1.0) + sum(b) * -(r + 1.0);
  loss.backward();
  zoo::average_gradients({a, frozen, b}, *zoo::batch_split(w.size(), w));
  const float mean = (p + 1) / 2.0f;  // mean of r + 1 over ranks
  for (int64_t i = 0; i < 12; ++i) EXPECT_FLOAT_EQ(a.grad().data<float>()[i], mean);
  for (int64_t i = 0; i < 5; ++i) EXPECT_FLOAT_EQ(b.grad().data<float>()[i], -mean);
  EXPECT_FALSE(frozen.grad().defined());
}
