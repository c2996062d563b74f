// Data pipeline throughput: Fashion-MNIST load, augmented loader batches, JPEG folder decode,
// decode + random resized crop to 224 per thread.
#include <benchmark/benchmark.h>
#include <stb_image_write.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "engine/data/datasets.h"
#include "engine/data/image_decode.h"
#include "engine/data/image_folder.h"
#include "engine/data/loader.h"

namespace {
using namespace he::data;

const ImageSet* fashion_train() {
  static const std::unique_ptr<ImageSet> set = []() -> std::unique_ptr<ImageSet> {
    try {
      return std::make_unique<ImageSet>(load_split("fashion-mnist", Split::kTrain));
    } catch (const std::exception&) {
      return nullptr;
    }
  }();
  return set.get();
}

void BM_LoadFashionMnistTrainTest(benchmark::State& state) {
  if (!fashion_train()) return state.SkipWithError("fashion-mnist not installed");
  for (auto _ : state) {
    ImageSet train = load_split("fashion-mnist", Split::kTrain);
    ImageSet test = load_split("fashion-mnist", Split::kTest);
    benchmark::DoNotOptimize(train.pixels.data());
    benchmark::DoNotOptimize(test.pixels.data());
  }
  state.SetItemsProcessed(state.iterations() * 70000);
}
BENCHMARK(BM_LoadFashionMnistTrainTest)->Unit(benchmark::kMillisecond)->UseRealTime();

// Batches of 128 with random crop (pad 2) + flip + normalise, state.range(0) workers.
void BM_LoaderFashionMnistAugmented(benchmark::State& state) {
  const ImageSet* train = fashion_train();
  if (!train) return state.SkipWithError("fashion-mnist not installed");
  LoaderOptions o;
  o.batch_size = 128;
  o.workers = static_cast<int>(state.range(0));
  o.seed = 1;
  o.transform.random_crop_h = o.transform.random_crop_w = 28;
  o.transform.crop_padding = 2;
  o.transform.random_hflip = true;
  o.transform.mean = {kFashionMnistMean};
  o.transform.std = {kFashionMnistStd};
  Loader loader(*train, o);
  int64_t epoch = 0, images = 0;
  loader.start_epoch(epoch);
  for (auto _ : state) {
    std::optional<Batch> b = loader.next();
    if (!b) {
      loader.start_epoch(++epoch);
      b = loader.next();
    }
    images += b->b;
    benchmark::DoNotOptimize(b->images.data());
  }
  state.SetItemsProcessed(images);
}
BENCHMARK(BM_LoaderFashionMnistAugmented)->Arg(0)->Arg(1)->Arg(2)->UseRealTime();

// 2,000 RGB 256x256 JPEGs in 10 class folders, written once per process.
struct JpegFolder {
  std::filesystem::path root;
  JpegFolder() {
    root = std::filesystem::temp_directory_path() / ("he_bench_jpeg_" + std::to_string(::getpid()));
    std::vector<uint8_t> px(256 * 256 * 3);
    for (int i = 0; i < 2000; ++i) {
      for (int y = 0; y < 256; ++y)
        for (int x = 0; x < 256; ++x)
          for (int c = 0; c < 3; ++c)
            px[(y * 256 + x) * 3 + c] =
                static_cast<uint8_t>((x * (c + 1) + y * (i % 7) + i) ^ (x * y >> 6));
      auto dir = root / ("class" + std::to_string(i % 10));
      std::filesystem::create_directories(dir);
      stbi_write_jpg((dir / (std::to_string(i) + ".jpg")).c_str(), 256, 256, 3, px.data(), 90);
    }
  }
  ~JpegFolder() {
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }
};

const JpegFolder& jpeg_folder() {
  static const JpegFolder folder;
  return folder;
}

// Decode of the 2,000 JPEGs with state.range(0) threads; range(1) > 0 resizes to that size.
void BM_DecodeJpegFolder(benchmark::State& state) {
  const JpegFolder& f = jpeg_folder();
  LoadImagesOptions o;
  o.threads = static_cast<int>(state.range(0));
  o.decode.height = o.decode.width = state.range(1);
  for (auto _ : state) {
    ImageSet s = load_image_folder(f.root.string(), o);
    benchmark::DoNotOptimize(s.pixels.data());
  }
  state.SetItemsProcessed(state.iterations() * 2000);
}
BENCHMARK(BM_DecodeJpegFolder)
    ->Args({1, 0})
    ->Args({2, 0})
    ->Args({2, 64})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// DeepHash-pytorch's training input on one thread: each 256x256 JPEG decoded, then a random
// resized crop to 224, a horizontal flip and ImageNet normalisation: images/s per thread.
void BM_DecodeAugmentJpeg224PerThread(benchmark::State& state) {
  const JpegFolder& f = jpeg_folder();
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::recursive_directory_iterator(f.root))
    if (e.path().extension() == ".jpg") files.push_back(e.path().string());
  TransformOptions t;
  t.random_resized_crop = 224;
  t.random_hflip = true;
  t.mean = {0.485f, 0.456f, 0.406f}, t.std = {0.229f, 0.224f, 0.225f};
  const Transform transform(t);
  std::vector<float> out(3 * 224 * 224);
  DecodeOptions d;
  int64_t i = 0;
  for (auto _ : state) {
    DecodedImage img = decode_image(files[static_cast<size_t>(i) % files.size()], d);
    transform.apply(img.pixels.data(), img.c, img.h, img.w, 1, 0, i, out.data());
    benchmark::DoNotOptimize(out.data());
    ++i;
  }
  state.SetItemsProcessed(i);
}
BENCHMARK(BM_DecodeAugmentJpeg224PerThread)->UseRealTime();

// The trainer's path for resized images: decoded once (256x256, kept in memory), then loader
// batches of 64 with a random resized crop to 224 + flip + normalisation on range(0) workers.
void BM_LoaderRandomResizedCrop224(benchmark::State& state) {
  static const ImageSet decoded = [] {
    LoadImagesOptions o;
    o.threads = 2;
    return load_image_folder(jpeg_folder().root.string(), o);
  }();
  LoaderOptions o;
  o.batch_size = 64;
  o.workers = static_cast<int>(state.range(0));
  o.seed = 1;
  o.transform.random_resized_crop = 224;
  o.transform.random_hflip = true;
  o.transform.mean = {0.485f, 0.456f, 0.406f}, o.transform.std = {0.229f, 0.224f, 0.225f};
  Loader loader(decoded, o);
  int64_t epoch = 0, images = 0;
  loader.start_epoch(epoch);
  for (auto _ : state) {
    std::optional<Batch> b = loader.next();
    if (!b) {
      loader.start_epoch(++epoch);
      b = loader.next();
    }
    images += b->b;
    benchmark::DoNotOptimize(b->images.data());
  }
  state.SetItemsProcessed(images);
}
BENCHMARK(BM_LoaderRandomResizedCrop224)->Arg(1)->Arg(2)->UseRealTime();

// Second load of the same folder: the memory-mapped cache instead of decoding.
void BM_JpegFolderCacheHit(benchmark::State& state) {
  const JpegFolder& f = jpeg_folder();
  LoadImagesOptions o;
  o.threads = 2;
  o.cache_path = (f.root / "cache.bin").string();
  load_image_folder(f.root.string(), o);  // builds the cache
  LoadReport rep;
  for (auto _ : state) {
    ImageSet s = load_image_folder(f.root.string(), o, &rep);
    benchmark::DoNotOptimize(s.data());
  }
  if (!rep.cache_hit) state.SkipWithError("cache was not hit");
  state.SetItemsProcessed(state.iterations() * 2000);
}
BENCHMARK(BM_JpegFolderCacheHit)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
