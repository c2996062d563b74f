#include "zoo/search_grid.h"

#include <fmt/format.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "retrieval/file_util.h"

namespace he::zoo {

namespace {
// 3x5 pixel digits, one row of 3 bits per line, for the distance labels.
constexpr std::array<std::array<uint8_t, 5>, 10> kDigits{{{7, 5, 5, 5, 7},
                                                          {2, 6, 2, 2, 7},
                                                          {7, 1, 7, 4, 7},
                                                          {7, 1, 7, 1, 7},
                                                          {5, 5, 7, 1, 1},
                                                          {7, 4, 7, 1, 7},
                                                          {7, 4, 7, 5, 7},
                                                          {7, 1, 1, 1, 1},
                                                          {7, 5, 7, 5, 7},
                                                          {7, 5, 7, 1, 7}}};

struct Canvas {
  int w, h;
  std::vector<uint8_t> rgb;
  Canvas(int w_, int h_) : w(w_), h(h_), rgb(static_cast<size_t>(w_) * h_ * 3, 255) {}
  void set(int x, int y, std::array<uint8_t, 3> c) {
    if (x < 0 || y < 0 || x >= w || y >= h) return;
    for (int k = 0; k < 3; ++k) rgb[(static_cast<size_t>(y) * w + x) * 3 + k] = c[k];
  }
  void rect(int x0, int y0, int rw, int rh, std::array<uint8_t, 3> c) {
    for (int y = y0; y < y0 + rh; ++y)
      for (int x = x0; x < x0 + rw; ++x) set(x, y, c);
  }
  // heat: null, or a map stretched over the image (nearest cell) and blended in.
  void image(int x0, int y0, const uint8_t* px, int64_t c, int64_t ih, int64_t iw, int scale,
             const HeatMap* heat = nullptr) {
    for (int64_t y = 0; y < ih * scale; ++y)
      for (int64_t x = 0; x < iw * scale; ++x) {
        std::array<uint8_t, 3> v;
        for (int k = 0; k < 3; ++k)
          v[k] = px[(c == 3 ? k : 0) * ih * iw + (y / scale) * iw + (x / scale)];
        if (heat) {
          const int64_t hy = y * heat->h / (ih * scale), hx = x * heat->w / (iw * scale);
          const float m = std::clamp(heat->values[hy * heat->w + hx], 0.0f, 1.0f);
          const std::array<float, 3> colour{255 * m, 0, 255 * (1 - m)};
          for (int k = 0; k < 3; ++k) v[k] = static_cast<uint8_t>(0.5f * v[k] + 0.5f * colour[k]);
        }
        set(x0 + static_cast<int>(x), y0 + static_cast<int>(y), v);
      }
  }
  void number(int x0, int y0, int value, int px) {
    std::string s = std::to_string(value);
    for (size_t i = 0; i < s.size(); ++i)
      for (int r = 0; r < 5; ++r)
        for (int b = 0; b < 3; ++b)
          if (kDigits[s[i] - '0'][r] >> (2 - b) & 1)
            rect(x0 + static_cast<int>(i) * 4 * px + b * px, y0 + r * px, px, px, {0, 0, 0});
  }
};
}  // namespace

void write_search_grid(const std::string& path, const uint8_t* query, const data::ImageSet& db,
                       const std::vector<GridItem>& hits, int scale,
                       const std::vector<HeatMap>& overlays) {
  if (!overlays.empty() && overlays.size() != hits.size() + 1)
    throw std::invalid_argument(
        fmt::format("search grid: {} overlays for the query and {} hits (one each needed)",
                    overlays.size(), hits.size()));
  for (const HeatMap& m : overlays)
    if (m.h < 1 || m.w < 1 || m.values.size() != static_cast<size_t>(m.h * m.w))
      throw std::invalid_argument(fmt::format("search grid: an overlay of {} values is not {}x{}",
                                              m.values.size(), m.h, m.w));
  const int cell = static_cast<int>(db.w) * scale, border = 3, pad = 6, label = 14;
  const int cols = static_cast<int>(hits.size()) + 1;
  Canvas cv(cols * (cell + 2 * border + pad) + pad,
            static_cast<int>(db.h) * scale + 2 * border + label + 2 * pad);
  auto place = [&](int slot, const uint8_t* px, std::array<uint8_t, 3> frame) {
    int x = pad + slot * (cell + 2 * border + pad);
    cv.rect(x, pad, cell + 2 * border, static_cast<int>(db.h) * scale + 2 * border, frame);
    cv.image(x + border, pad + border, px, db.c, db.h, db.w, scale,
             overlays.empty() ? nullptr : &overlays[static_cast<size_t>(slot)]);
    return x;
  };
  place(0, query, {40, 40, 40});  // the query, framed dark grey
  for (size_t i = 0; i < hits.size(); ++i) {
    if (hits[i].index < 0 || hits[i].index >= db.n)
      throw std::out_of_range("search grid: database row out of range");
    int x = place(static_cast<int>(i) + 1, db.image(hits[i].index),
                  hits[i].relevant ? std::array<uint8_t, 3>{20, 160, 40}
                                   : std::array<uint8_t, 3>{210, 30, 30});
    cv.number(x + border, pad + 2 * border + static_cast<int>(db.h) * scale + 3, hits[i].distance,
              2);
  }
  std::vector<uint8_t> png;
  auto sink = [](void* ctx, void* data, int size) {
    auto* out = static_cast<std::vector<uint8_t>*>(ctx);
    out->insert(out->end(), static_cast<uint8_t*>(data), static_cast<uint8_t*>(data) + size);
  };
  if (!stbi_write_png_to_func(sink, &png, cv.w, cv.h, 3, cv.rgb.data(), cv.w * 3) || png.empty())
    throw std::runtime_error(path + ": PNG encoding failed");
  retrieval::write_file_atomic(path, {png.data()}, {png.size()});
}

}  // namespace he::zoo
