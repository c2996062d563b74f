#pragma once
// Hot loops compiled three times, for AVX-512, AVX2 and baseline x86-64; the loader picks the
// best the CPU has (GCC's target_clones). The binary itself stays baseline x86-64, so it runs
// anywhere. Templates cannot carry the attribute: each gets a plain f32 / f64 wrapper.
#define HE_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
