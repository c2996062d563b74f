// safetensors: round trips, a file written by the reference implementation (the Python
// safetensors package, tests/nn/safetensors_fixture.py), and the file the Python check
// script (tests/nn/check_safetensors_python.py) loads.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "engine/engine.h"
#include "engine/io/safetensors.h"

namespace he {
namespace {

namespace fs = std::filesystem;

std::string temp_path(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("hashengine_st_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return (dir / name).string();
}

// The tensors of safetensors_fixture.py's expected(), built in C++.
TensorList expected_tensors() {
  std::vector<float> w(6);
  for (int i = 0; i < 6; ++i) w[i] = i * 0.5f - 1.0f;
  return {
      {"features.0.weight", Tensor::from_vector(w, {2, 3})},
      {"features.0.bias", Tensor::from_vector<double>({0.1, -0.2, 1e-30})},
      {"labels", Tensor::from_vector<int32_t>({1, -2, 3, 2147483647}, {2, 2})},
      {"index", Tensor::from_vector<int64_t>({-(int64_t{1} << 40), 7})},
      {"image", Tensor::from_vector<uint8_t>({250, 251, 252, 253, 254, 255}, {1, 2, 3})},
      {"codes", Tensor::from_vector<uint64_t>({0xFFFFFFFFFFFFFFFFull, 0x0123456789ABCDEFull})},
      {"scalar", Tensor::full({}, 3.25)},
      {"empty", Tensor::zeros({0, 4})},
  };
}
const Metadata kMetadata = {{"format", "pt"}, {"model", "hashnet"}, {"bits", "64"}};

// Same name, shape, dtype and bytes.
void expect_same(const std::map<std::string, Tensor>& got, const TensorList& want) {
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [name, w] : want) {
    ASSERT_TRUE(got.count(name)) << name;
    const Tensor& g = got.at(name);
    EXPECT_EQ(g.shape(), w.shape()) << name;
    ASSERT_EQ(g.dtype(), w.dtype()) << name;
    const Tensor wc = w.contiguous();
    EXPECT_EQ(0, std::memcmp(g.raw_data(), wc.raw_data(), w.nbytes())) << name;
  }
}

TEST(Safetensors, ReadsReferenceImplementationFile) {
  const std::string path = std::string(HE_TEST_SOURCE_DIR) + "/nn/fixtures/reference.safetensors";
  const SafetensorsFile file = load_safetensors(path);
  expect_same(file.tensors, expected_tensors());
  EXPECT_EQ(file.metadata, kMetadata);
  EXPECT_FLOAT_EQ(file.tensors.at("features.0.weight").to_vector<float>()[5], 1.5f);
  EXPECT_EQ(file.tensors.at("codes").to_vector<uint64_t>()[1], 0x0123456789ABCDEFull);
  EXPECT_EQ(file.tensors.at("scalar").dim(), 0);
}

TEST(Safetensors, WritesInteropFile) {
  // With HE_SAFETENSORS_INTEROP_OUT set, the file stays there for check_safetensors_python.py.
  const char* env = std::getenv("HE_SAFETENSORS_INTEROP_OUT");
  const std::string path = env ? env : temp_path("interop.safetensors");
  save_safetensors(path, expected_tensors(), kMetadata);
  const SafetensorsFile file = load_safetensors(path);
  expect_same(file.tensors, expected_tensors());
  EXPECT_EQ(file.metadata, kMetadata);
  // Header length + header is a multiple of 8, so the data buffer is 8-byte aligned.
  std::ifstream in(path, std::ios::binary);
  uint64_t n = 0;
  in.read(reinterpret_cast<char*>(&n), 8);
  EXPECT_EQ(n % 8, 0u);
  if (!env) fs::remove(path);
}

TEST(Safetensors, RoundTripLayoutsAndOrder) {
  const std::string path = temp_path("layouts.safetensors");
  Generator gen(1);
  Tensor base = Tensor::randn({4, 5}, gen);
  const Tensor t = base.t();                          // non-contiguous view
  const Tensor s = base.slice(1, 1, 5, 2);            // strided slice
  const Tensor e = Tensor::ones({3}).expand({2, 3});  // stride 0
  ASSERT_FALSE(t.is_contiguous());
  save_safetensors(path, {{"z.t", t}, {"a.s", s}, {"m.e", e}});
  const SafetensorsFile file = load_safetensors(path);
  EXPECT_TRUE(file.metadata.empty());
  EXPECT_EQ(file.tensors.at("z.t").to_vector<float>(), t.to_vector<float>());
  EXPECT_EQ(file.tensors.at("a.s").to_vector<float>(), s.to_vector<float>());
  EXPECT_EQ(file.tensors.at("m.e").to_vector<float>(), e.to_vector<float>());
  EXPECT_EQ(file.tensors.at("z.t").shape(), (Shape{5, 4}));
  // The data follow the given order: the first tensor starts at offset 0.
  std::ifstream in(path, std::ios::binary);
  uint64_t n = 0;
  in.read(reinterpret_cast<char*>(&n), 8);
  std::string header(n, ' ');
  in.read(header.data(), static_cast<std::streamsize>(n));
  EXPECT_NE(header.find("\"z.t\":{\"dtype\":\"F32\",\"shape\":[5,4],\"data_offsets\":[0,80]}"),
            std::string::npos)
      << header;
  // Map overload.
  save_safetensors(path, std::map<std::string, Tensor>{{"x", Tensor::zeros({2}, DType::f64)}},
                   {{"k", "v"}});
  const SafetensorsFile again = load_safetensors(path);
  EXPECT_EQ(again.tensors.at("x").to_vector<double>(), (std::vector<double>{0, 0}));
  EXPECT_EQ(again.metadata.at("k"), "v");
  fs::remove(path);
}

TEST(Safetensors, AtomicWriteLeavesNoTemporary) {
  const std::string path = temp_path("atomic.safetensors");
  save_safetensors(path, {{"a", Tensor::ones({1000})}});
  save_safetensors(path, {{"b", Tensor::zeros({2})}});  // replaces the old file whole
  const SafetensorsFile file = load_safetensors(path);
  EXPECT_EQ(file.tensors.size(), 1u);
  EXPECT_TRUE(file.tensors.count("b"));
  EXPECT_FALSE(fs::exists(path + ".tmp." + std::to_string(::getpid())));
  for (const auto& entry : fs::directory_iterator(fs::path(path).parent_path()))
    EXPECT_EQ(entry.path().string().find(".tmp."), std::string::npos) << entry.path();
  // A directory that does not exist: a clear error naming the file, nothing left behind.
  try {
    save_safetensors(temp_path("no/such/dir/x.safetensors"), {{"a", Tensor::ones({1})}});
    ADD_FAILURE() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("x.safetensors"), std::string::npos) << e.what();
  }
  fs::remove(path);
}

TEST(Safetensors, WriterRejectsBadNames) {
  const std::string path = temp_path("names.safetensors");
  EXPECT_THROW(save_safetensors(path, {{"__metadata__", Tensor::ones({1})}}),
               std::invalid_argument);
  EXPECT_THROW(save_safetensors(path, {{"a", Tensor::ones({1})}, {"a", Tensor::ones({1})}}),
               std::invalid_argument);
  EXPECT_THROW(save_safetensors(path, {{"", Tensor::ones({1})}}), std::invalid_argument);
  EXPECT_THROW(save_safetensors(path, {{"u", Tensor()}}), std::invalid_argument);
  EXPECT_FALSE(fs::exists(path));
}

}  // namespace
}  // namespace he
