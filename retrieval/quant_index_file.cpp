#include "retrieval/quant_index_file.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "retrieval/framed_file.h"

namespace he::retrieval {

namespace {

constexpr FrameFormat kFormat{{'H', 'E', 'Q', 'U', 'A', 'N', 'T', 0}, 1, "quantised index"};

[[noreturn]] void bad(const std::string& path, const std::string& what) {
  bad_frame(kFormat, path, what);
}

// The payload arrays of a kind, in file order: (element size, element count) each.
struct Section {
  size_t item;
  uint64_t count;
};
std::vector<Section> sections(QuantKind kind, uint64_t d, uint64_t m, uint64_t nbits,
                              uint64_t nlist, uint64_t n) {
  const uint64_t cent = (uint64_t{1} << nbits) * d;  // m * 2^nbits * d/m
  switch (kind) {
    case QuantKind::Flat:
      return {{4, n * d}};
    case QuantKind::Pq:
      return {{4, cent}, {1, n * m}};
    case QuantKind::Opq:
      return {{4, d * d}, {4, cent}, {1, n * m}};
    case QuantKind::IvfPq:
      return {{4, nlist * d}, {4, cent}, {8, nlist}, {8, n}, {1, n * m}};
  }
  return {};
}

// Header fields checked one by one, so that every later product stays far below 2^64.
void check_header(const std::string& path, uint32_t kind, uint64_t d, uint64_t m, uint64_t nbits,
                  uint64_t nlist, uint64_t n) {
  if (kind > 3) bad(path, "unknown kind " + std::to_string(kind));
  if (d < 1 || d > 65536) bad(path, "dimension d=" + std::to_string(d) + " outside [1, 65536]");
  if (n > (uint64_t{1} << 40)) bad(path, "implausible vector count " + std::to_string(n));
  const auto k = static_cast<QuantKind>(kind);
  if (k == QuantKind::Flat) {
    if (m || nbits || nlist) bad(path, "a flat index has m, nbits and nlist 0");
    return;
  }
  if (m < 1 || d % m != 0)
    bad(path, "m=" + std::to_string(m) + " does not divide d=" + std::to_string(d));
  if (nbits != 4 && nbits != 8) bad(path, "nbits=" + std::to_string(nbits) + " (must be 4 or 8)");
  if (nbits == 4 && m > 256) bad(path, "4-bit codes allow m <= 256, got " + std::to_string(m));
  if (k == QuantKind::IvfPq && nbits != 8) bad(path, "IVF-PQ codes must be 8-bit");
  if ((k == QuantKind::IvfPq) != (nlist > 0)) bad(path, "nlist must be > 0 exactly for ivfpq");
  if (nlist > (uint64_t{1} << 24)) bad(path, "implausible nlist " + std::to_string(nlist));
}

template <class T>
void read_array(const uint8_t* p, size_t& off, uint64_t count, std::vector<T>& out) {
  out.resize(count);
  if (count) std::memcpy(out.data(), p + off, count * sizeof(T));
  off += count * sizeof(T);
}

// Distances are sums of squares of these values: a NaN, an infinity or a value whose square
// could overflow a float sum would make the rankings meaningless.
void check_finite(const std::string& path, const std::vector<float>& v, const char* what) {
  for (size_t i = 0; i < v.size(); ++i)
    if (!(std::fabs(v[i]) < 1e15f))
      bad(path, std::string(what) + " value " + std::to_string(i) + " is " + std::to_string(v[i]) +
                    " (not finite or above 1e15 in magnitude)");
}

void check_payload(const std::string& path, const QuantIndexContents& c) {
  check_finite(path, c.vectors, "vector");
  check_finite(path, c.rotation, "rotation");
  check_finite(path, c.coarse, "coarse centroid");
  check_finite(path, c.centroids, "centroid");
  const int64_t ksub = int64_t{1} << c.nbits;
  if (c.kind != QuantKind::Flat)
    for (size_t i = 0; i < c.codes.size(); ++i)
      if (c.codes[i] >= ksub)
        bad(path, "code " + std::to_string(i / c.m) + " has value " + std::to_string(c.codes[i]) +
                      " >= 2^nbits");
  if (c.kind != QuantKind::IvfPq) return;
  uint64_t total = 0;
  for (int64_t s : c.list_sizes) {
    if (s < 0 || static_cast<uint64_t>(s) > static_cast<uint64_t>(c.n))
      bad(path, "list size " + std::to_string(s) + " outside [0, n]");
    total += static_cast<uint64_t>(s);
  }
  if (total != static_cast<uint64_t>(c.n))
    bad(path, "list sizes sum to " + std::to_string(total) + ", not n=" + std::to_string(c.n));
  for (int64_t id : c.ids)
    if (id < 0 || id >= c.n) bad(path, "id " + std::to_string(id) + " outside [0, n)");
}

}  // namespace

const char* quant_kind_name(QuantKind k) {
  switch (k) {
    case QuantKind::Flat:
      return "flat";
    case QuantKind::Pq:
      return "pq";
    case QuantKind::Opq:
      return "opq";
    case QuantKind::IvfPq:
      return "ivfpq";
  }
  return "?";
}

void save_quant_index(const std::string& path, const QuantIndexContents& c) {
  check_header(path, static_cast<uint32_t>(c.kind), c.d, c.m, c.nbits, c.nlist, c.n);
  std::vector<uint8_t> header = frame_header(kFormat);
  uint8_t* h = header.data();
  put_field<uint32_t>(h, 12, static_cast<uint32_t>(c.kind));
  put_field<uint32_t>(h, 16, static_cast<uint32_t>(c.d));
  put_field<uint32_t>(h, 20, static_cast<uint32_t>(c.m));
  put_field<uint32_t>(h, 24, static_cast<uint32_t>(c.nbits));
  put_field<uint32_t>(h, 28, static_cast<uint32_t>(c.nlist));
  put_field<uint64_t>(h, 32, static_cast<uint64_t>(c.n));
  std::vector<const void*> parts;
  std::vector<size_t> sizes;
  const std::vector<const void*> data = [&]() -> std::vector<const void*> {
    switch (c.kind) {
      case QuantKind::Flat:
        return {c.vectors.data()};
      case QuantKind::Pq:
        return {c.centroids.data(), c.codes.data()};
      case QuantKind::Opq:
        return {c.rotation.data(), c.centroids.data(), c.codes.data()};
      case QuantKind::IvfPq:
        return {c.coarse.data(), c.centroids.data(), c.list_sizes.data(), c.ids.data(),
                c.codes.data()};
    }
    return {};
  }();
  const std::vector<size_t> have = [&]() -> std::vector<size_t> {
    switch (c.kind) {
      case QuantKind::Flat:
        return {c.vectors.size()};
      case QuantKind::Pq:
        return {c.centroids.size(), c.codes.size()};
      case QuantKind::Opq:
        return {c.rotation.size(), c.centroids.size(), c.codes.size()};
      case QuantKind::IvfPq:
        return {c.coarse.size(), c.centroids.size(), c.list_sizes.size(), c.ids.size(),
                c.codes.size()};
    }
    return {};
  }();
  const auto secs = sections(c.kind, c.d, c.m, c.nbits, c.nlist, c.n);
  for (size_t i = 0; i < secs.size(); ++i) {
    if (have[i] != secs[i].count)
      throw std::invalid_argument("save_quant_index: section " + std::to_string(i) + " holds " +
                                  std::to_string(have[i]) + " values, the header needs " +
                                  std::to_string(secs[i].count));
    parts.push_back(data[i]), sizes.push_back(secs[i].item * secs[i].count);
  }
  write_framed(kFormat, path, std::move(header), parts, sizes);
}

QuantIndexContents parse_quant_index(const uint8_t* p, size_t size, const std::string& path,
                                     bool verify) {
  check_frame_header(kFormat, p, size, path);
  const uint32_t kind = get_field<uint32_t>(p, 12);
  const uint64_t d = get_field<uint32_t>(p, 16), m = get_field<uint32_t>(p, 20),
                 nbits = get_field<uint32_t>(p, 24), nlist = get_field<uint32_t>(p, 28),
                 n = get_field<uint64_t>(p, 32);
  check_header(path, kind, d, m, nbits, nlist, n);
  QuantIndexContents c;
  c.kind = static_cast<QuantKind>(kind);
  c.d = d, c.m = m, c.nbits = nbits, c.nlist = nlist, c.n = static_cast<int64_t>(n);
  const auto secs = sections(c.kind, d, m, nbits, nlist, n);
  uint64_t expect = kFrameHeader + kFrameTrailer;  // every term < 2^58 after check_header
  for (const Section& s : secs) expect += s.item * s.count;
  check_frame_size(kFormat, size, expect, path);
  check_frame_trailer(kFormat, p, size, path, verify);
  size_t off = kFrameHeader;
  switch (c.kind) {
    case QuantKind::Flat:
      read_array(p, off, secs[0].count, c.vectors);
      break;
    case QuantKind::Opq:
      read_array(p, off, d * d, c.rotation);
      [[fallthrough]];
    case QuantKind::Pq:
      read_array(p, off, (uint64_t{1} << nbits) * d, c.centroids);
      read_array(p, off, n * m, c.codes);
      break;
    case QuantKind::IvfPq:
      read_array(p, off, nlist * d, c.coarse);
      read_array(p, off, (uint64_t{1} << nbits) * d, c.centroids);
      read_array(p, off, nlist, c.list_sizes);
      read_array(p, off, n, c.ids);
      read_array(p, off, n * m, c.codes);
      break;
  }
  check_payload(path, c);
  return c;
}

QuantIndexContents load_quant_index(const std::string& path, bool verify) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(path + ": cannot open quantised index file");
  std::vector<uint8_t> b((std::istreambuf_iterator<char>(f)), {});
  if (f.bad()) throw std::runtime_error(path + ": read failed");
  return parse_quant_index(b.data(), b.size(), path, verify);
}

bool is_quant_index_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char m[8] = {};
  return f.read(m, 8) && std::memcmp(m, kFormat.magic, 8) == 0;
}

QuantIndexContents contents_of(const PqIndex& index) {
  const ProductQuantizer& pq = index.quantizer();
  QuantIndexContents c;
  c.kind = index.rotation().empty() ? QuantKind::Pq : QuantKind::Opq;
  c.d = pq.d, c.m = pq.m, c.nbits = pq.nbits, c.n = index.size();
  c.rotation = index.rotation(), c.centroids = pq.centroids, c.codes = index.codes();
  return c;
}

QuantIndexContents contents_of(const IvfPqIndex& index) {
  const ProductQuantizer& pq = index.quantizer();
  QuantIndexContents c;
  c.kind = QuantKind::IvfPq;
  c.d = pq.d, c.m = pq.m, c.nbits = pq.nbits, c.nlist = index.nlist(), c.n = index.size();
  c.coarse = index.coarse(), c.centroids = pq.centroids;
  for (int64_t l = 0; l < index.nlist(); ++l) {
    c.list_sizes.push_back(static_cast<int64_t>(index.list_ids(l).size()));
    c.ids.insert(c.ids.end(), index.list_ids(l).begin(), index.list_ids(l).end());
    c.codes.insert(c.codes.end(), index.list_codes(l).begin(), index.list_codes(l).end());
  }
  return c;
}

namespace {
ProductQuantizer quantizer_of(const QuantIndexContents& c) {
  ProductQuantizer pq;
  pq.d = c.d, pq.m = c.m, pq.nbits = static_cast<int>(c.nbits), pq.centroids = c.centroids;
  return pq;
}
}  // namespace

PqIndex pq_index_from(const QuantIndexContents& c) {
  if (c.kind != QuantKind::Pq && c.kind != QuantKind::Opq)
    throw std::invalid_argument(std::string("pq_index_from: a ") + quant_kind_name(c.kind) +
                                " index");
  PqIndex index(quantizer_of(c), c.rotation);
  index.set_codes(c.codes);
  return index;
}

IvfPqIndex ivfpq_index_from(const QuantIndexContents& c) {
  if (c.kind != QuantKind::IvfPq)
    throw std::invalid_argument(std::string("ivfpq_index_from: a ") + quant_kind_name(c.kind) +
                                " index");
  IvfPqIndex index(c.coarse, quantizer_of(c));
  index.set_lists(c.list_sizes, c.ids, c.codes);
  return index;
}

}  // namespace he::retrieval
