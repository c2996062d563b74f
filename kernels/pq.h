#pragma once
// Product-quantisation scan kernels: asymmetric distances (ADC) from per-query lookup tables
// to PQ codes (Jegou, Douze & Schmid, 'Product quantization for nearest neighbor search',
// TPAMI 2011), and the 4-bit fast scan that holds 8-bit quantised tables in SIMD registers
// (Andre, Kermarrec & Le Scouarnec, 'Cache locality is not enough: high-performance nearest
// neighbor search with product quantization fast scan', VLDB 2015).
//
// A code of M subquantisers is M centroid indices; its distance to a query is
// sum_m lut[m][code[m]].
#include <cstddef>
#include <cstdint>

namespace he::kernels::cpu {

// Instruction set for the scan loops, chosen at run time (Auto = best supported): AVX2, or
// AVX-512 F + BW.
enum class PqIsa { Auto, Scalar, Avx2, Avx512 };
bool pq_isa_supported(PqIsa isa);
PqIsa pq_best_isa();
const char* pq_isa_name(PqIsa isa);

// ---- nbits = 8 ------------------------------------------------------------------------------
// Blocked layout: codes in blocks of 64, each block m rows of 64 bytes (byte [j][i] = code i's
// index in subquantiser j), so one row is one 512-bit vector, or four 16-lane gathers. A short
// last block is padded with zero codes.
inline constexpr size_t kPq8Block = 64;
size_t pq8_blocks(size_t n);
// codes:(n, m) u8 -> packed:(pq8_blocks(n), m, 64) u8.
void pq8_pack(const uint8_t* codes, size_t n, size_t m, uint8_t* packed);

// Float tables. luts:(nq, m, 256) f32, packed blocks [b0, b1) -> out:(nq, (b1 - b0) * 64) f32,
// padding codes included. Each block is read once for all nq queries (the caller passes a
// small group of queries and a range of blocks that stays in cache). Every code's sum runs
// over j = 0, 1, ... in float, one add at a time, so all ISAs give the scalar reference's
// values bit for bit.
void pq8_adc_scan(const float* luts, size_t nq, const uint8_t* packed, size_t m, size_t b0,
                  size_t b1, float* out, PqIsa isa = PqIsa::Auto);

// out:(n) = a + b elementwise (the per-list ADC tables of IVF-PQ); vectorised for the CPU's
// widest float SIMD, chosen at run time.
void pq_add_tables(const float* a, const float* b, size_t n, float* out);

// Quantising float tables t = a + b (b null: t = a), a, b:(m, ksub) f32, m <= 256 (else
// std::invalid_argument), to out:(m, ksub) u8 for the scans on u8 tables: lo:(m) gets each
// row's minimum, and out = round((t - lo[j]) * scale) clamped to [0, 255], one scale for the
// whole table that maps the largest row span to 255 (IVF-PQ: one table per probed list).
// Returns the scale and the float distance of one u8 unit (span / 255; both 0 when every row
// is constant): a sum of u8 entries times `unit`, plus sum(lo), approximates the float
// distance. Vectorised like pq_add_tables.
struct PqU8Table {
  float scale, unit;
};
PqU8Table pq_quantize_tables(const float* a, const float* b, size_t m, size_t ksub, float* lo,
                             uint8_t* out);

// ---- nbits = 4: fast scan ------------------------------------------------------------------
// Fast-scan layout: codes in blocks of 32; the subquantisers padded to mp = multiple of 4
// (padding codes are 0 and padding tables 0). Block b holds mp/2 groups of 32 bytes; group g
// covers subquantisers 2g (bytes 0..15) and 2g+1 (bytes 16..31); in each half, byte j holds
// code j's index in its low nibble and code j+16's in its high nibble. A short last block
// is padded with zero codes.
size_t pq4_padded_m(size_t m);
size_t pq4_blocks(size_t n);
// codes:(n, m) u8 with values < 16 -> packed:(pq4_blocks(n), pq4_padded_m(m) / 2, 32) u8.
void pq4_pack(const uint8_t* codes, size_t n, size_t m, uint8_t* packed);
// The inverse for one code (tests and re-ranking): packed layout -> code:(m) u8.
void pq4_unpack_one(const uint8_t* packed, size_t i, size_t m, uint8_t* code);

inline constexpr int kPqMaxQueries = 4;  // queries scanned together

// Receives the codes whose u16 distance is below a per-query threshold. push() may lower
// thr[q]; the kernels re-read it after every push. Distances are exact u16 sums of the
// quantised tables (at most 255 * mp, so mp <= 256).
struct PqSink {
  uint16_t thr[kPqMaxQueries] = {};
  virtual void push(int q, size_t code, uint16_t dist) = 0;

 protected:
  ~PqSink() = default;
};

// luts8:(nq, mp, 16) u8, 1 <= nq <= kPqMaxQueries; packed blocks [b0, b1) of the layout
// above (code ids b*32 + j). For every code i < n in range and every query q with
// dist(q, i) < sink.thr[q], calls sink.push(q, i, dist), in ascending i per query. Every
// ISA gives exactly the scalar reference's calls.
void pq4_scan(const uint8_t* luts8, size_t nq, const uint8_t* packed, size_t mp, size_t b0,
              size_t b1, size_t n, PqSink& sink, PqIsa isa = PqIsa::Auto);

// ---- nbits = 8 on quantised tables ---------------------------------------------------------
// The 8-bit scan on u8 tables, for CPUs with AVX-512 VBMI: a 256-entry table is four 64-byte
// vectors, and two two-source byte permutes (vpermi2b) plus a blend on the index's top bit look
// up 64 codes at once, where the float scan needs four 16-lane gathers. Distances are exact
// u16 sums (at most 255 * m, so m <= 256).
bool pq8_u8_supported(PqIsa isa);  // Scalar always; Avx512 needs VBMI too; Avx2 never
// luts8:(nq, m, 256) u8, 1 <= nq <= kPqMaxQueries, m <= 256; packed blocks [b0, b1) of the
// nbits-8 layout (code ids b*64 + i). Calls sink.push as pq4_scan does: for every code i < n in
// range and every query q with dist(q, i) < sink.thr[q], per block and query in ascending i.
// Both ISAs give exactly the same calls.
void pq8_u8_scan(const uint8_t* luts8, size_t nq, const uint8_t* packed, size_t m, size_t b0,
                 size_t b1, size_t n, PqSink& sink, PqIsa isa = PqIsa::Auto);

namespace detail {
using Pq8ScanFn = void (*)(const float* luts, size_t nq, const uint8_t* packed, size_t m, size_t b0,
                           size_t b1, float* out);
void pq8_scan_scalar(const float*, size_t, const uint8_t*, size_t, size_t, size_t, float*);
void pq8_scan_avx2(const float*, size_t, const uint8_t*, size_t, size_t, size_t, float*);
void pq8_scan_avx512(const float*, size_t, const uint8_t*, size_t, size_t, size_t, float*);
using Pq8U8ScanFn = void (*)(const uint8_t* luts8, size_t nq, const uint8_t* packed, size_t m,
                             size_t b0, size_t b1, size_t n, PqSink& sink);
void pq8_u8_scan_scalar(const uint8_t*, size_t, const uint8_t*, size_t, size_t, size_t, size_t,
                        PqSink&);
void pq8_u8_scan_avx512(const uint8_t*, size_t, const uint8_t*, size_t, size_t, size_t, size_t,
                        PqSink&);
using Pq4ScanFn = void (*)(const uint8_t* luts8, size_t nq, const uint8_t* packed, size_t mp,
                           size_t b0, size_t b1, size_t n, PqSink& sink);
void pq4_scan_scalar(const uint8_t*, size_t, const uint8_t*, size_t, size_t, size_t, size_t,
                     PqSink&);
void pq4_scan_avx2(const uint8_t*, size_t, const uint8_t*, size_t, size_t, size_t, size_t, PqSink&);
void pq4_scan_avx512(const uint8_t*, size_t, const uint8_t*, size_t, size_t, size_t, size_t,
                     PqSink&);
}  // namespace detail

}  // namespace he::kernels::cpu
