#pragma once
// Device plumbing: the CUDA runtime calls the engine needs (memory, copies, device query).
// Declared here for every build; implemented in kernels/cuda/runtime.cu when the CUDA
// backend is built, and by throwing stand-ins in kernels/cpu/runtime_nocuda.cpp otherwise.
#include <cstddef>
#include <string>

namespace he::kernels::cuda {

bool built();        // was the CUDA backend compiled in?
int device_count();  // 0 when there is no driver or no device (never throws)
std::string device_name(int device);
// Throws std::runtime_error naming the device and the reason when `device` cannot be used.
void require_device(int device);
// Makes `device` current for this thread (the kernels run on the current device).
void set_device(int device);
void* raw_malloc(size_t bytes, int device);  // throws with the size asked and the free memory
void raw_free(void* p, int device);
void copy_h2d(void* dst, const void* src, size_t bytes, int device);
void copy_d2h(void* dst, const void* src, size_t bytes, int device);
void copy_d2d(void* dst, const void* src, size_t bytes, int device);
void synchronize(int device);

}  // namespace he::kernels::cuda
