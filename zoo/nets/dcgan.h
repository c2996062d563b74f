#pragma once
// DCGAN-style blocks (Radford, Metz & Chintala, 'Unsupervised Representation Learning with Deep
// Convolutional Generative Adversarial Networks', ICLR 2016) sized for 28x28 single-channel
// images, shared by the GAN hashing models (zoo/models/gan.cpp): strided convolutions in the
// discriminator, strided transposed convolutions in the generator, batch norm between,
// LeakyReLU(0.2) / ReLU activations.
#include <memory>

#include "layers/layers.h"

namespace he::nn {

// Discriminator trunk: x:(N,1,28,28) -> (N,hidden):
//   conv(1->32, 4, s2, p1) - LReLU -> conv(32->64, 4, s2, p1) [- BN] - LReLU -> flatten (3136)
//   -> fc hidden - LReLU.
// Without batch norm where the trunk also judges generated batches and its eval-mode output is
// the code: running statistics mixed over real and generated batches would shift the codes.
std::shared_ptr<Sequential> dcgan_trunk(int64_t hidden, Generator& gen, bool batch_norm = true);

// Generator: z:(N,in) -> images:(N,1,28,28) in the loader's normalised pixel range:
//   fc(in -> 64*7*7) - BN - ReLU -> convT(64->32, 4, s2, p1) (14x14) - BN - ReLU
//   -> convT(32->1, 4, s2, p1) (28x28) -> (sigmoid - mean) / std, so that outputs cover exactly
//   the normalised values of pixels 0..255 (Fashion-MNIST's mean and std).
std::shared_ptr<Sequential> dcgan_generator(int64_t in, Generator& gen);

}  // namespace he::nn
