#include "retrieval/sharded_knn.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

namespace he::retrieval {

KnnResult merge_shard_knn(const std::vector<KnnResult>& parts, const std::vector<size_t>& offsets,
                          size_t nq, size_t k) {
  if (parts.size() != offsets.size())
    throw std::invalid_argument("merge_shard_knn: " + std::to_string(parts.size()) + " parts, " +
                                std::to_string(offsets.size()) + " offsets");
  size_t available = 0;
  for (const KnnResult& p : parts) {
    if (p.nq != nq || p.ids.size() != p.nq * p.k || p.dist.size() != p.nq * p.k)
      throw std::invalid_argument("merge_shard_knn: a part of (" + std::to_string(p.nq) + ", " +
                                  std::to_string(p.k) + ") for " + std::to_string(nq) + " queries");
    available += p.k;
  }
  if (k > available)
    throw std::invalid_argument("merge_shard_knn: k=" + std::to_string(k) + " but only " +
                                std::to_string(available) + " hits per query");
  KnnResult r;
  r.nq = nq;
  r.k = k;
  r.ids.resize(nq * k);
  r.dist.resize(nq * k);
  std::vector<std::pair<int32_t, int64_t>> hits;  // (distance, global row): the tie order
  for (size_t q = 0; q < nq; ++q) {
    hits.clear();
    for (size_t s = 0; s < parts.size(); ++s)
      for (size_t j = 0; j < parts[s].k; ++j)
        hits.emplace_back(parts[s].dist[q * parts[s].k + j],
                          parts[s].ids[q * parts[s].k + j] + static_cast<int64_t>(offsets[s]));
    std::partial_sort(hits.begin(), hits.begin() + k, hits.end());
    for (size_t j = 0; j < k; ++j) {
      r.dist[q * k + j] = hits[j].first;
      r.ids[q * k + j] = hits[j].second;
    }
  }
  return r;
}

namespace {
// A part on the wire: u64 nq, k, row offset; then nq*k i64 ids and nq*k i32 distances.
std::vector<uint8_t> encode_part(const KnnResult& p, size_t offset) {
  const uint64_t head[3] = {p.nq, p.k, offset};
  std::vector<uint8_t> b(sizeof head + p.ids.size() * 8 + p.dist.size() * 4);
  std::memcpy(b.data(), head, sizeof head);
  std::memcpy(b.data() + sizeof head, p.ids.data(), p.ids.size() * 8);
  std::memcpy(b.data() + sizeof head + p.ids.size() * 8, p.dist.data(), p.dist.size() * 4);
  return b;
}

KnnResult decode_part(const uint8_t* b, size_t& offset) {
  uint64_t head[3];
  std::memcpy(head, b, sizeof head);
  KnnResult p;
  p.nq = head[0];
  p.k = head[1];
  offset = head[2];
  p.ids.resize(p.nq * p.k);
  p.dist.resize(p.nq * p.k);
  std::memcpy(p.ids.data(), b + sizeof head, p.ids.size() * 8);
  std::memcpy(p.dist.data(), b + sizeof head + p.ids.size() * 8, p.dist.size() * 4);
  return p;
}
}  // namespace

KnnResult sharded_knn(dist::World& world, const BinaryIndex* shard, const PackedCodes& queries,
                      size_t k, size_t row_offset, size_t n_total, SearchStats* stats) {
  if (k < 1 || k > n_total)
    throw std::invalid_argument("sharded knn: k=" + std::to_string(k) +
                                " must be in [1, n=" + std::to_string(n_total) + "]");
  KnnResult mine;
  mine.nq = queries.size();
  SearchStats st;
  const size_t rows = shard ? shard->size() : 0;
  if (rows > 0) mine = shard->search(queries, std::min(k, rows), &st);
  std::vector<uint8_t> wire = encode_part(mine, row_offset);
  std::vector<size_t> counts;
  std::vector<uint8_t> all = world.gatherv_bytes(wire.data(), wire.size(), counts, 0);
  SearchStats sum;  // every rank joins these collectives, whether or not it wants stats
  sum.probed = world.allreduce_sum(static_cast<int64_t>(st.probed));
  sum.fallback = world.allreduce_sum(static_cast<int64_t>(st.fallback));
  sum.visited = world.allreduce_sum(static_cast<int64_t>(st.visited));
  sum.buckets = world.allreduce_sum(static_cast<int64_t>(st.buckets));
  if (stats) *stats = sum;
  if (!world.is_root()) return {};
  std::vector<KnnResult> parts(counts.size());
  std::vector<size_t> offsets(counts.size());
  size_t at = 0;
  for (size_t r = 0; r < counts.size(); ++r) {
    parts[r] = decode_part(all.data() + at, offsets[r]);
    at += counts[r];
  }
  return merge_shard_knn(parts, offsets, queries.size(), k);
}

}  // namespace he::retrieval
