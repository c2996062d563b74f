// Writes a small seed corpus for every fuzz target under <dir>/<target>/, built with the
// project's own writers (no downloads): make_seeds <dir>. The first byte of a seed is the
// target's option byte where it has one (see each fuzz_*.cpp).
#include <stb_image_write.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "engine/io/safetensors.h"
#include "retrieval/index_file.h"
#include "retrieval/npy.h"
#include "retrieval/quant_index_file.h"

namespace {
namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

fs::path g_root;

void seed(const std::string& target, const std::string& name, uint8_t option, const Bytes& b) {
  fs::create_directories(g_root / target);
  std::ofstream f(g_root / target / name, std::ios::binary);
  if (option != 0xff) f.put(static_cast<char>(option));
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}
constexpr uint8_t kNoOption = 0xff;

Bytes read_all(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), {});
}

Bytes gzip(const Bytes& in) {
  z_stream zs{};
  if (deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2");
  Bytes out(deflateBound(&zs, in.size()) + 32);
  zs.next_in = const_cast<Bytef*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

Bytes idx(std::vector<uint32_t> dims, uint8_t fill) {
  Bytes b = {0, 0, 8, static_cast<uint8_t>(dims.size())};
  uint64_t n = 1;
  for (uint32_t d : dims) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(d >> s));
    n *= d;
  }
  for (uint64_t i = 0; i < n; ++i) b.push_back(static_cast<uint8_t>(fill + i));
  return b;
}

void write_to_bytes(void* ctx, void* data, int size) {
  auto* out = static_cast<Bytes*>(ctx);
  out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
}

void image_seeds() {
  const int w = 5, h = 4;
  Bytes px(w * h * 3);
  for (size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(i * 13);
  Bytes png, bmp, tga, jpg, grey;
  stbi_write_png_to_func(write_to_bytes, &png, w, h, 3, px.data(), w * 3);
  stbi_write_bmp_to_func(write_to_bytes, &bmp, w, h, 3, px.data());
  stbi_write_tga_to_func(write_to_bytes, &tga, w, h, 3, px.data());
  stbi_write_jpg_to_func(write_to_bytes, &jpg, w, h, 3, px.data(), 90);
  stbi_write_png_to_func(write_to_bytes, &grey, w, h, 1, px.data(), w);
  seed("fuzz_image", "rgb.png", 1, png);
  seed("fuzz_image", "grey.png", 2, grey);
  seed("fuzz_image", "rgb.bmp", 3, bmp);
  seed("fuzz_image", "rgb.tga", 1, tga);
  seed("fuzz_image", "rgb.jpg", 3, jpg);
  const std::string pgm = "P5 2 2 255\n";
  Bytes p(pgm.begin(), pgm.end());
  p.insert(p.end(), {1, 2, 3, 4});
  seed("fuzz_image", "grey.pgm", 0, p);
}

void file_seeds(const fs::path& tmp) {
  using he::Tensor;
  const std::string st = (tmp / "seed.safetensors").string();
  he::save_safetensors(st,
                       {{"w", Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3})},
                        {"i", Tensor::from_vector(std::vector<int64_t>{7, 8})}},
                       {{"format", "seed"}});
  seed("fuzz_safetensors", "two.safetensors", kNoOption, read_all(st));
  he::save_safetensors(st, he::TensorList{});
  seed("fuzz_safetensors", "empty.safetensors", kNoOption, read_all(st));

  namespace r = he::retrieval;
  const std::vector<float> f = {1, -1, 0.5f, -2, 0, 3};
  seed("fuzz_npy", "f4.npy", kNoOption, r::encode_npy(r::npy_from({2, 3}, f.data())));
  const std::vector<int64_t> l = {1, 0, 1, 1};
  seed("fuzz_npy", "i8.npy", kNoOption, r::encode_npy(r::npy_from({4}, l.data())));
  const uint8_t u[4] = {0xf0, 0x0f, 0xaa, 0x55};
  seed("fuzz_npy", "codes.npy", kNoOption, r::encode_npy(r::npy_from({2, 2}, u)));

  r::IndexContents c;
  c.codes = r::PackedCodes(3, 70);
  c.ids = {10, 11, 12};
  const std::string ix = (tmp / "seed.heidx").string();
  r::save_index(ix, c);
  seed("fuzz_index", "ids.heidx", 3, read_all(ix));
  c.ids.clear();
  c.kind = r::IndexKind::Mih;
  c.multi_labels = {1, 0, 0, 1, 1, 1};
  c.label_classes = 2;
  r::save_index(ix, c);
  seed("fuzz_index", "mih_multi.heidx", 2, read_all(ix));

  // Quantised indexes: tiny hand-made quantisers (no training), one file per kind.
  const std::string qx = (tmp / "seed.heq").string();
  r::QuantIndexContents qc;
  qc.kind = r::QuantKind::Flat, qc.d = 2, qc.n = 3, qc.vectors = {1, 2, 3, 4, 5, 6};
  r::save_quant_index(qx, qc);
  seed("fuzz_quant_index", "flat.heq", 3, read_all(qx));
  qc = {};
  qc.kind = r::QuantKind::Pq, qc.d = 2, qc.m = 2, qc.nbits = 4, qc.n = 3;
  qc.centroids.resize(2 * 16);
  for (size_t i = 0; i < qc.centroids.size(); ++i) qc.centroids[i] = float(i % 16) / 4;
  qc.codes = {0, 15, 3, 4, 7, 7};
  r::save_quant_index(qx, qc);
  seed("fuzz_quant_index", "pq4.heq", 3, read_all(qx));
  qc.kind = r::QuantKind::Opq, qc.rotation = {0, 1, 1, 0};
  r::save_quant_index(qx, qc);
  seed("fuzz_quant_index", "opq4.heq", 2, read_all(qx));
  qc.kind = r::QuantKind::IvfPq, qc.nbits = 8, qc.nlist = 2, qc.rotation.clear();
  qc.centroids.resize(2 * 256);
  qc.coarse = {0, 0, 1, 1}, qc.list_sizes = {1, 2}, qc.ids = {2, 0, 1};
  qc.codes = {0, 255, 3, 4, 200, 7};
  r::save_quant_index(qx, qc);
  seed("fuzz_quant_index", "ivfpq.heq", 3, read_all(qx));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds <dir>\n");
    return 2;
  }
  g_root = argv[1];
  fs::create_directories(g_root);
  const Bytes images = idx({3, 2, 2}, 7), labels = idx({3}, 1);
  seed("fuzz_idx", "images.idx", 1, images);
  seed("fuzz_idx", "labels.idx", 0, labels);
  seed("fuzz_idx", "images.idx.gz", 1, gzip(images));
  seed("fuzz_idx", "labels.idx.gz", 0, gzip(labels));

  Bytes rec10(1 + 3072), rec100(2 + 3072);
  for (size_t i = 0; i < rec100.size(); ++i) rec10[i % rec10.size()] = rec100[i] = uint8_t(i);
  rec10[0] = 3, rec100[0] = 5, rec100[1] = 42;
  seed("fuzz_cifar", "cifar10.bin", 0, rec10);
  seed("fuzz_cifar", "cifar100.bin", 1, rec100);

  const std::string list = "a/1.jpg 0 1 0\nb/2.png 1 1 0\r\n\nc/3.bmp 0 0 1\n";
  seed("fuzz_list", "multi.txt", 0, Bytes(list.begin(), list.end()));
  seed("fuzz_list", "three.txt", 3, Bytes(list.begin(), list.end()));

  image_seeds();
  file_seeds(g_root);
  fs::remove(g_root / "seed.safetensors");
  fs::remove(g_root / "seed.heidx");
  std::printf("seeds written under %s\n", argv[1]);
  return 0;
}
