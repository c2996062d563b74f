// search --overlay: attnhash gives its spatial attention map per image, the grid draws it over
// each image (a valid PNG of the same size whose image pixels differ from the plain grid's,
// frames unchanged), and a model without attention or a wrong number of maps is an error.
#include <gtest/gtest.h>
#include <stb/stb_image.h>

#include <filesystem>

#include "zoo/encode.h"
#include "zoo/model.h"
#include "zoo/search_grid.h"
#include "zoo_test_util.h"

namespace he::zoo {
namespace {

struct Png {
  int w = 0, h = 0;
  std::vector<uint8_t> rgb;
};
Png read_png(const std::string& path) {
  int w = 0, h = 0, c = 0;
  unsigned char* img = stbi_load(path.c_str(), &w, &h, &c, 3);
  EXPECT_NE(img, nullptr) << path << ": " << stbi_failure_reason();
  Png p{w, h, {}};
  if (img) p.rgb.assign(img, img + static_cast<size_t>(w) * h * 3);
  stbi_image_free(img);
  return p;
}

data::ImageSet grey_images(int64_t n) {
  data::ImageSet db;
  db.n = n, db.c = 1, db.h = 28, db.w = 28;
  db.pixels.assign(static_cast<size_t>(n) * 28 * 28, 100);
  return db;
}

TEST(SearchOverlay, GridWithMapsDiffersFromThePlainOne) {
  const data::ImageSet db = grey_images(3);
  std::vector<uint8_t> query(28 * 28, 200);
  const std::vector<GridItem> hits{{2, 0, true}, {0, 17, false}};
  // A 7x7 map: 1 in the top-left cell, 0 elsewhere, for the query and both hits.
  HeatMap m{7, 7, std::vector<float>(49, 0.0f)};
  m.values[0] = 1.0f;
  const std::string plain = test::temp_path("he_grid_plain.png");
  const std::string over = test::temp_path("he_grid_overlay.png");
  write_search_grid(plain, query.data(), db, hits);
  write_search_grid(over, query.data(), db, hits, 3, {m, m, m});
  const Png a = read_png(plain), b = read_png(over);
  ASSERT_EQ(a.w, b.w);
  ASSERT_EQ(a.h, b.h);
  auto px = [](const Png& p, int x, int y) {
    const size_t k = (static_cast<size_t>(y) * p.w + x) * 3;
    return std::array<int, 3>{p.rgb[k], p.rgb[k + 1], p.rgb[k + 2]};
  };
  // Frames as before; inside the first hit (at x = 6 + 96 + 3, y = 9), the top-left cell is
  // half grey 100, half red: (177, 50, 50); a cell of 0 is half blue: (50, 50, 177).
  EXPECT_EQ(px(b, 6 + 96 + 1, 7), px(a, 6 + 96 + 1, 7));
  EXPECT_EQ(px(a, 6 + 96 + 3, 9), (std::array<int, 3>{100, 100, 100}));
  EXPECT_EQ(px(b, 6 + 96 + 3, 9), (std::array<int, 3>{177, 50, 50}));
  EXPECT_EQ(px(b, 6 + 96 + 3 + 60, 9 + 60), (std::array<int, 3>{50, 50, 177}));
  EXPECT_NE(a.rgb, b.rgb);
  std::filesystem::remove(plain);
  std::filesystem::remove(over);

  EXPECT_THROW(write_search_grid(over, query.data(), db, hits, 3, {m, m}), std::invalid_argument);
  HeatMap bad{7, 7, std::vector<float>(48, 0.0f)};
  EXPECT_THROW(write_search_grid(over, query.data(), db, hits, 3, {m, bad, m}),
               std::invalid_argument);
}

TEST(SearchOverlay, AttnhashMapsAreOnTheFeatureGridInTheUnitInterval) {
  ModelConfig cfg;
  cfg.bits = 16;
  auto attn = make_model("attnhash", cfg);
  data::ImageSet set = grey_images(2);
  set.pixels[5] = 255;  // not two identical images
  std::vector<HeatMap> maps = attention_overlays(*attn, set, "attnhash");
  ASSERT_EQ(maps.size(), 2u);
  for (const HeatMap& m : maps) {
    EXPECT_EQ(m.h, 7);
    EXPECT_EQ(m.w, 7);
    ASSERT_EQ(m.values.size(), 49u);
    for (float v : m.values) {
      EXPECT_GT(v, 0.0f);
      EXPECT_LT(v, 1.0f);
    }
  }
  EXPECT_TRUE(attn->is_training());  // left as it was
  auto hashnet = make_model("hashnet", cfg);
  EXPECT_FALSE(hashnet->attention_maps(images_tensor(set, 0, 2)).has_value());
  try {
    attention_overlays(*hashnet, set, "hashnet");
    ADD_FAILURE() << "hashnet gave attention maps";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("hashnet has no spatial attention map"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace he::zoo
