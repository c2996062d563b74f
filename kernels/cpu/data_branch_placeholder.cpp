// Placeholder so that engine_kernels has a source on the `data` branch before the kernel
// families land; delete once kernels/cpu holds a real kernel.
namespace he::kernels {}
