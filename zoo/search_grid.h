#pragma once
// The search result picture: the query, then its top-k database images in rank order, each
// framed green (relevant) or red (not) with its Hamming distance written under it; for models
// with spatial attention (attnhash), each image can carry its attention map as a heat overlay.
#include <string>
#include <vector>

#include "engine/data/image_set.h"

namespace he::zoo {

struct GridItem {
  int64_t index;  // row of the database set
  int distance;
  bool relevant;
};

// A map over an image, values in [0,1], row-major (h,w); drawn stretched over the image as
// a colour from blue (0) to red (1), blended half and half with the pixels.
struct HeatMap {
  int64_t h = 0, w = 0;
  std::vector<float> values;
};

// Writes a PNG (atomically); query_pixels is one (C,H,W) u8 image. overlays: empty, or one
// map for the query and one for each hit, in that order.
void write_search_grid(const std::string& path, const uint8_t* query_pixels,
                       const data::ImageSet& database, const std::vector<GridItem>& hits,
                       int scale = 3, const std::vector<HeatMap>& overlays = {});

}  // namespace he::zoo
