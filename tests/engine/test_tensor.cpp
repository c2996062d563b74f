// Tensor basics: creation, views sharing storage, copies, dtype/device conversion, printing.
#include <gtest/gtest.h>

#include "engine/allocator.h"
#include "engine/engine.h"
#include "kernels/runtime.h"

namespace he {
namespace {

TEST(Tensor, CreationAndAccess) {
  Tensor z = Tensor::zeros({2, 3});
  EXPECT_EQ(z.numel(), 6);
  EXPECT_EQ(z.dtype(), DType::f32);
  EXPECT_TRUE(z.is_contiguous());
  EXPECT_EQ(z.to_vector<float>(), std::vector<float>(6, 0.f));
  Tensor f = Tensor::full({2}, 7, DType::i64);
  EXPECT_EQ(f.to_vector<int64_t>(), (std::vector<int64_t>{7, 7}));
  Tensor a = Tensor::arange(0, 5, 1, DType::i32);
  EXPECT_EQ(a.to_vector<int32_t>(), (std::vector<int32_t>{0, 1, 2, 3, 4}));
  Tensor v = Tensor::from_vector<double>({1, 2, 3, 4}, {2, 2});
  EXPECT_THROW(v.item<double>(), std::invalid_argument);
  EXPECT_DOUBLE_EQ(v.select(0, 1).select(0, 0).item<double>(), 3.0);
  EXPECT_THROW(v.data<float>(), std::invalid_argument);
  EXPECT_THROW(Tensor::from_vector<float>({1, 2, 3}, {2, 2}), std::invalid_argument);
}

TEST(Tensor, ViewsShareStorage) {
  Tensor x = Tensor::arange(0, 12).reshape({3, 4});
  Tensor t = x.t();
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_EQ(t.shape(), (Shape{4, 3}));
  EXPECT_EQ(t.raw_data(), x.raw_data());
  EXPECT_EQ(t.contiguous().to_vector<float>(),
            (std::vector<float>{0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}));
  Tensor s = x.slice(1, 1, 4, 2);  // columns 1 and 3
  EXPECT_EQ(s.to_vector<float>(), (std::vector<float>{1, 3, 5, 7, 9, 11}));
  s.fill_(-1);  // writes through to x
  EXPECT_EQ(x.select(0, 0).to_vector<float>(), (std::vector<float>{0, -1, 2, -1}));
  Tensor e = Tensor::arange(0, 3).reshape({3, 1}).expand({3, 2});
  EXPECT_EQ(e.strides()[1], 0);
  EXPECT_EQ(e.to_vector<float>(), (std::vector<float>{0, 0, 1, 1, 2, 2}));
  // A transposed tensor cannot be viewed flat; reshape copies instead.
  EXPECT_THROW(t.view({12}), std::invalid_argument);
  EXPECT_EQ(t.reshape({12}).numel(), 12);
  // A row slice of a contiguous tensor is still viewable.
  Tensor rows = Tensor::arange(0, 24).reshape({4, 6}).narrow(0, 1, 2);
  EXPECT_EQ(rows.view({3, 4}).to_vector<float>()[0], 6.f);
  EXPECT_EQ(x.unsqueeze(0).shape(), (Shape{1, 3, 4}));
  EXPECT_EQ(x.unsqueeze(-1).shape(), (Shape{3, 4, 1}));
  EXPECT_EQ(x.reshape({-1, 2}).shape(), (Shape{6, 2}));
}

TEST(Tensor, ConversionsAndCopies) {
  Tensor x = Tensor::from_vector<float>({1.5f, -2.5f, 3.f});
  EXPECT_EQ(x.to(DType::i64).to_vector<int64_t>(), (std::vector<int64_t>{1, -2, 3}));
  Tensor c = x.clone();
  c.fill_(0);
  EXPECT_EQ(x.to_vector<float>()[0], 1.5f);
  Tensor y = Tensor::zeros({2, 3});
  y.copy_(x);  // broadcast copy
  EXPECT_EQ(y.to_vector<float>(), (std::vector<float>{1.5f, -2.5f, 3.f, 1.5f, -2.5f, 3.f}));
  std::string s = to_string(Tensor::arange(0, 100).reshape({10, 10}));
  EXPECT_NE(s.find("..."), std::string::npos);
  EXPECT_NE(s.find("shape=[10, 10]"), std::string::npos);
}

TEST(Tensor, CudaWithoutDeviceThrowsClearly) {
  if (kernels::cuda::device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  Tensor x = Tensor::ones({4});
  try {
    x.to(Device::cuda(0));
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cuda:0"), std::string::npos) << e.what();
  }
}

TEST(Tensor, CudaRoundTrip) {
  if (kernels::cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device";
  Generator g(5);
  Tensor x = Tensor::randn({1000}, g);
  Tensor back = x.to(Device::cuda(0)).to(Device::cpu());
  EXPECT_EQ(back.to_vector<float>(), x.to_vector<float>());
}

TEST(Allocator, ReusesFreedBlocks) {
  auto& alloc = allocator_for(Device::cpu());
  { Tensor warm = Tensor::empty({12345}); }
  size_t before = alloc.stats().system_allocs;
  for (int i = 0; i < 100; ++i) Tensor t = Tensor::empty({12345});
  EXPECT_EQ(alloc.stats().system_allocs, before);
  Tensor t = Tensor::empty({3});
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % 64, 0u);
  EXPECT_EQ(CachingAllocator::bin_size(1), 512u);
  EXPECT_GE(CachingAllocator::bin_size(1000001), 1000001u);
  EXPECT_LE(CachingAllocator::bin_size(1000001), 1250001u);
}

TEST(Random, PhiloxIsSeededAndResumable) {
  Generator a(42), b(42), c(43);
  Tensor x = Tensor::randn({1000}, a), y = Tensor::randn({1000}, b), z = Tensor::randn({1000}, c);
  EXPECT_EQ(x.to_vector<float>(), y.to_vector<float>());
  EXPECT_NE(x.to_vector<float>(), z.to_vector<float>());
  // Continuing from a saved (seed, offset) gives the same next draw.
  Generator saved(0);
  saved.set_state(a.seed(), a.offset());
  EXPECT_EQ(Tensor::rand({10}, a).to_vector<float>(), Tensor::rand({10}, saved).to_vector<float>());
  // Moments of large samples.
  Generator g(7);
  Tensor n = Tensor::randn({200000}, g, DType::f64);
  EXPECT_NEAR(mean(n).item<double>(), 0.0, 0.01);
  EXPECT_NEAR(var(n).item<double>(), 1.0, 0.02);
  Tensor u = Tensor::rand({200000}, g, DType::f64);
  EXPECT_NEAR(mean(u).item<double>(), 0.5, 0.005);
  EXPECT_GE(amin(u).item<double>(), 0.0);
  EXPECT_LT(amax(u).item<double>(), 1.0);
  Tensor bern = Tensor::bernoulli({100000}, 0.3, g);
  EXPECT_NEAR(mean(bern).item<float>(), 0.3, 0.01);
  std::vector<int64_t> p = Tensor::randperm(1000, g).to_vector<int64_t>();
  std::vector<int64_t> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(sorted[i], i);
  EXPECT_NE(p, sorted);
}

}  // namespace
}  // namespace he
