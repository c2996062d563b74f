#pragma once
// CIFAR-10 / CIFAR-100 binary format. A record is the label byte(s) then 3072 pixel bytes
// (1024 R, 1024 G, 1024 B, each 32 x 32 row-major), i.e. already CHW.
//   CIFAR-10:  <label> <3072 px>                   (data_batch_1..5.bin, test_batch.bin)
//   CIFAR-100: <coarse label> <fine label> <3072 px> (train.bin, test.bin)
#include <string>
#include <vector>

#include "engine/data/image_set.h"

namespace he::data {

enum class CifarKind { kCifar10, kCifar100Fine, kCifar100Coarse };

// Concatenates the records of `files` in order -> n x 3 x 32 x 32 u8 with class ids.
ImageSet load_cifar(const std::vector<std::string>& files, CifarKind kind);
// The records of one file image (already inflated) appended to `set` (set up by load_cifar:
// 3 x 32 x 32, num_classes); the in-memory half of load_cifar and the fuzzing entry point.
void append_cifar(ImageSet& set, const uint8_t* bytes, size_t size, const std::string& path,
                  CifarKind kind);
// The standard file names under `dir`: CIFAR-10 data_batch_{1..5}.bin / test_batch.bin,
// CIFAR-100 train.bin / test.bin.
ImageSet load_cifar_dir(const std::string& dir, CifarKind kind, Split split);

}  // namespace he::data
