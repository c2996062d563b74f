// The one translation unit holding the stb implementations (image decode, resize, write).
// Other files include the headers without the *_IMPLEMENTATION macros.
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-function"
#endif
// Caps decoded dimensions so a lying header cannot ask for a huge buffer (32768^2 max).
#define STBI_MAX_DIMENSIONS (1 << 15)
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>
// stb_image_resize 0.97 asserts total < 1.1f on some valid downsampling ratios (e.g. 8 -> 7
// rows, nothings/stb#1449) and then renormalises anyway; the check would abort Debug builds.
// Release builds compile it out (NDEBUG); do the same everywhere. Sizes are checked by us.
#define STBIR_ASSERT(x) ((void)0)
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#include <stb_image_resize.h>
#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
