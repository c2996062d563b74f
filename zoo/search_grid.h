#pragma once
// The search result picture: the query, then its top-k database images in rank order, each
// framed green (relevant) or red (not) with its Hamming distance written under it.
#include <string>
#include <vector>

#include "engine/data/image_set.h"

namespace he::zoo {

struct GridItem {
  int64_t index;  // row of the database set
  int distance;
  bool relevant;
};

// Writes a PNG (atomically); query_pixels is one (C,H,W) u8 image.
void write_search_grid(const std::string& path, const uint8_t* query_pixels,
                       const data::ImageSet& database, const std::vector<GridItem>& hits,
                       int scale = 3);

}  // namespace he::zoo
