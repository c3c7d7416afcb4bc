#include "layers/im2col.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "layers/phase_planes.h"
#include "layers/short_rows.h"
#include "layers/tap_table.h"
#include "layers/window_ranges.h"
#include "util/vector_clones.h"

namespace nnstate {
namespace {

// The first and one past the last kernel index whose range is not empty, along one dimension.
void active_span(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t pad,
                 int64_t dilation, int64_t &first, int64_t &end) {
  first = kernel;
  end = 0;
  for (int64_t i = 0; i < kernel; ++i) {
    const PositionRange r = reading_range(in, out, stride, i * dilation - pad);
    if (r.lo == r.hi) continue;
    first = std::min(first, i);
    end = i + 1;
  }
  first = std::min(first, end);
}

// One im2col block when source and destination rows have the same width: dst[y, x] =
// src[y * ow + x + shift] for y in [y_lo, y_hi), x in [x_lo, x_hi), zero elsewhere. The run from
// the first to the last valid element is copied at once (reading only inside the input plane); the
// wrapped-around entries of the edge columns and the rows outside are then zeroed. Inlined into
// im2col's clones, whose loops stay loops (see im2col).
inline __attribute__((always_inline)) void lower_same_rows(const float *src, int64_t shift,
                                                           int64_t y_lo, int64_t y_hi, int64_t x_lo,
                                                           int64_t x_hi, int64_t ow, int64_t oh,
                                                           float *dst) {
  std::fill(dst, dst + y_lo * ow, 0.0f);
  if (y_lo < y_hi) {
    const int64_t first = y_lo * ow + x_lo, last = (y_hi - 1) * ow + x_hi;
    std::copy(src + first + shift, src + last + shift, dst + first);
    for (int64_t y = y_lo; y < y_hi; ++y) {
      std::fill(dst + y * ow, dst + y * ow + x_lo, 0.0f);
      std::fill(dst + y * ow + x_hi, dst + (y + 1) * ow, 0.0f);
    }
  }
  std::fill(dst + std::max(y_lo, y_hi) * ow, dst + oh * ow, 0.0f);
}

// Blocks of at most this many elements are filled across the samples (loops of n rather than
// of a block's few elements). im2col gains from it on 1x1 planes and on 2x2 ones lowered from
// larger planes, col2im on 1x1 inputs only (its strided read-modify-writes across samples cost
// more than they save on 2x2).
constexpr int64_t kFewLowered = 4, kFewRaised = 1;
// col2im takes the table with stride 1 on input planes larger than this (2x2, which take the
// tiny path below). On the 4x4 planes of a ResNet's layer2, its masked adds took 0.6-0.8 of the
// general path's time on a Zen 5 (4.4M -> 3.0M instructions per chunk); on an Emerald Rapids
// they were as fast there.
constexpr int64_t kMinRaisedPlane = 4;
// Planes of at most this many elements on both sides (a ResNet's 2x2 -> 1x1 layers) are raised
// one sample and channel at a time: col2im keeps its few sums in registers while every tap's
// block is read contiguously (2.3x faster on 2x2 planes than the general path). 2x2 outputs take
// the shuffles below instead.
constexpr int64_t kTinyPlane = 4;

// 2x2 output planes from input planes of at most this many floats (two 8-float vectors) are
// lowered and raised a sample and channel at a time by shuffles (lower_to_2x2, raise_from_2x2):
// a ResNet's 3x3 and 1x1/2 layers on 4x4 and 2x2 planes.
constexpr int64_t kShuffledPlane = 16;

bool tiny_planes(const WindowGeometry &g) {
  return g.h * g.w <= kTinyPlane && g.oh * g.ow <= kTinyPlane;
}

// Where the table beats the general path (batch 128, the ResNet's planes): im2col on every
// plane it fits (fits_tap_table; on 7x7 and 4x4 planes with stride 1, masked copies of the
// shifted block took 0.45-0.6 of the general path's time, per-row edge fills, on a Zen 5; on an
// Emerald Rapids they were as fast); col2im with stride 1 (masked contiguous adds), a 1x1 input
// or tiny planes, and 2x2 outputs from planes of up to 16 floats (raise_from_2x2: 3x3/2 on 4x4
// 2.0-2.7x faster) (the general path's strided scatter is faster otherwise: through the table,
// every input element visits every tap, 3x the instructions at stride 2).
bool raises_by_table(const WindowGeometry &g) {
  const int64_t in = g.h * g.w;
  return fits_tap_table(g) &&
         ((g.sh == 1 && g.sw == 1 && in > kMinRaisedPlane) || in <= kFewRaised || tiny_planes(g) ||
          (g.oh * g.ow == 4 && in <= kShuffledPlane));
}

inline float masked(float value, uint32_t keep) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  bits &= keep;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

// One tap of one block: dst[e] (= or +=) src[index[e]] where kept, 0 (or + 0) elsewhere. Shifted
// taps read [lo, hi) contiguously, which vectorises without gathers.
template <bool kAdd>
inline void tap_block(const TapTable &t, int64_t tap, const float *src, float *dst) {
  const uint32_t *keep = t.keep + tap * t.size;
  if (t.shifted[tap]) {
    const int64_t lo = t.lo[tap], hi = t.hi[tap];
    const int64_t shift = t.shift[tap];
    if (!kAdd) std::fill(dst, dst + lo, 0.0f);
    for (int64_t e = lo; e < hi; ++e) {
      const float v = masked(src[e + shift], keep[e]);
      dst[e] = kAdd ? dst[e] + v : v;
    }
    if (!kAdd) std::fill(dst + hi, dst + t.size, 0.0f);
    return;
  }
  const int32_t *index = t.index + tap * t.size;
  for (int64_t e = 0; e < t.size; ++e) {
    const float v = masked(src[index[e]], keep[e]);
    dst[e] = kAdd ? dst[e] + v : v;
  }
}

// im2col to 2x2 output planes from input planes of at most 16 floats (a ResNet's 2x2 layers,
// and its strided ones on 4x4), a sample and a channel at a time: the input is held in two
// 8-float vectors, and each pair of taps' blocks is one two-source shuffle of them by the
// table's indices, masked, written as two 16-byte stores (across the samples, the stores stride
// and the loads jump a sample: 3x slower on 2x2 planes).
typedef float Float8 __attribute__((vector_size(32)));
typedef int32_t Int8 __attribute__((vector_size(32)));
typedef float Float4 __attribute__((vector_size(16)));

// Four floats twice: a 2x2 block as a shuffle source, loaded as one 16-byte vector (not stored
// into a zeroed 32-byte one, which stalls the load that follows on store forwarding).
inline __attribute__((always_inline)) void load_block_twice(const float *block, Float8 &out) {
  Float4 four;
  std::memcpy(&four, block, sizeof four);
  out = __builtin_shufflevector(four, four, 0, 1, 2, 3, 0, 1, 2, 3);
}

// in[index[e]] & keep[e] with in = lo:hi (indices below 8 unless kTwoSources), one shuffle:
// GCC's runtime shuffle, a permute (plus a second and a blend for two sources); Clang's shuffles
// take constant indices only, so it gets the element loop. By reference: 32-byte vectors passed
// by value change the ABI without AVX.
template <bool kTwoSources>
inline __attribute__((always_inline)) void shuffle_masked(const Float8 &lo, const Float8 &hi,
                                                          const Int8 &index, const Int8 &keep,
                                                          Float8 &out) {
#if defined(__clang__)
  Float8 picked;
  for (int e = 0; e < 8; ++e) picked[e] = index[e] < 8 ? lo[index[e]] : hi[index[e] - 8];
#else
  const Float8 picked =
      kTwoSources ? __builtin_shuffle(lo, hi, index) : __builtin_shuffle(lo, index);
#endif
  Int8 bits;
  std::memcpy(&bits, &picked, sizeof bits);
  bits &= keep;
  std::memcpy(&out, &bits, sizeof out);
}

// kPlane: the input plane's floats where they are 4 (2x2) or 16 (4x4), so that it loads as
// whole vectors; 0 for any other count up to 16 (copied element by element).
template <int64_t kPlane>
inline __attribute__((always_inline)) void lower_to_2x2(const WindowGeometry &g, const TapTable &t,
                                                        const float *input, float *col) {
  constexpr int64_t kBlock = 4;  // a 2x2 output plane
  constexpr bool kTwoSources = kPlane == 0 || kPlane > 8;
  const int64_t plane = g.h * g.w, cols = g.col_cols(), pairs = (t.taps + 1) / 2;
  // Pair k holds taps 2k and 2k + 1 (an odd count's last pair holds its last tap twice).
  Int8 index[kMaxTableTaps / 2], keep[kMaxTableTaps / 2];
  for (int64_t tap = 0; tap < 2 * pairs; ++tap) {
    const int64_t from = std::min(tap, t.taps - 1) * kBlock;
    for (int64_t e = 0; e < kBlock; ++e) {
      index[tap / 2][tap % 2 * kBlock + e] = t.index[from + e];
      keep[tap / 2][tap % 2 * kBlock + e] = static_cast<int32_t>(t.keep[from + e]);
    }
  }
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t c = 0; c < g.c; ++c) {
      const float *src = input + (n * g.c + c) * plane;
      Float8 lo = {}, hi = {};
      if (kPlane == 16) {
        std::memcpy(&lo, src, sizeof lo);
        std::memcpy(&hi, src + 8, sizeof hi);
      } else if (kPlane == 4) {
        load_block_twice(src, lo);
      } else {
        float in[kShuffledPlane] = {};
        for (int64_t e = 0; e < plane; ++e) in[e] = src[e];
        std::memcpy(&lo, in, sizeof lo);
        std::memcpy(&hi, in + 8, sizeof hi);
      }
      float *dst = col + c * t.taps * cols + n * kBlock;
      for (int64_t k = 0; k < pairs; ++k) {
        Float8 blocks;
        shuffle_masked<kTwoSources>(lo, hi, index[k], keep[k], blocks);
        std::memcpy(dst + 2 * k * cols, &blocks, kBlock * sizeof(float));
        if (2 * k + 1 < t.taps) {
          std::memcpy(dst + (2 * k + 1) * cols, reinterpret_cast<const char *>(&blocks) + 16,
                      kBlock * sizeof(float));
        }
      }
    }
  }
}

// Its adjoint from 2x2 output planes (col2im's table: sources within the 2x2 block), a sample
// and a channel at a time: the input plane's sums are held in two 8-float vectors, and each tap
// adds its block shuffled to the input positions it reaches, masked (+0.0 elsewhere: the same
// bits as the general path's sums in tap order).
template <int64_t kPlane>
inline __attribute__((always_inline)) void raise_from_2x2(const WindowGeometry &g,
                                                          const TapTable &t, const float *col,
                                                          float *input_grad) {
  constexpr int64_t kBlock = 4;
  const int64_t plane = t.size, cols = g.col_cols();
  // Per tap, the sums' lanes 0-7 and 8-15 (past the plane: masked).
  Int8 index[2][kMaxTableTaps], keep[2][kMaxTableTaps];
  for (int64_t tap = 0; tap < t.taps; ++tap) {
    for (int64_t e = 0; e < kShuffledPlane; ++e) {
      const bool inside = e < plane;
      index[e / 8][tap][e % 8] = inside ? t.index[tap * plane + e] : 0;
      keep[e / 8][tap][e % 8] = inside ? static_cast<int32_t>(t.keep[tap * plane + e]) : 0;
    }
  }
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t c = 0; c < g.c; ++c) {
      Float8 lo = {}, hi = {};
      for (int64_t tap = 0; tap < t.taps; ++tap) {
        Float8 block, part;
        load_block_twice(col + (c * t.taps + tap) * cols + n * kBlock, block);
        shuffle_masked<false>(block, block, index[0][tap], keep[0][tap], part);
        lo += part;
        if (kPlane == 4) continue;
        shuffle_masked<false>(block, block, index[1][tap], keep[1][tap], part);
        hi += part;
      }
      float *dst = input_grad + (n * g.c + c) * plane;
      if (kPlane == 16) {
        std::memcpy(dst, &lo, sizeof lo);
        std::memcpy(dst + 8, &hi, sizeof hi);
      } else if (kPlane == 4) {
        std::memcpy(dst, &lo, 4 * sizeof(float));
      } else {
        float sums[kShuffledPlane];
        std::memcpy(sums, &lo, sizeof lo);
        std::memcpy(sums + 8, &hi, sizeof hi);
        for (int64_t e = 0; e < plane; ++e) dst[e] = sums[e];
      }
    }
  }
}

bool all_taps_shifted(const TapTable &t) {
  return std::all_of(t.shifted, t.shifted + t.taps, [](bool shifted) { return shifted; });
}

// im2col when every tap reads its block shifted (stride 1, output rows as wide as the input's:
// a ResNet's 3x3 layers on 7x7 and 4x4 planes; or through the phase planes of a strided window,
// `phases` not null), a sample and channel at a time: the plane (or its phase planes) is copied
// between zero margins, so each tap's block is one masked copy of all its elements that never
// reads outside the buffer, with no fills before and after the kept run (each of those was a
// memset call for a few floats; the masks still clear padding and wrapped-around columns).
inline __attribute__((always_inline)) void lower_shifted(const WindowGeometry &g, const TapTable &t,
                                                         const PhasePlanes *phases,
                                                         const float *input, float *col) {
  const int64_t plane = g.h * g.w, cols = g.col_cols(), size = t.size;
  const int64_t source = phases ? phases->total : plane;  // at most kTapTableMax floats
  // Reads of tap blocks run from shift to shift + size - 1, inside (-size, source + size).
  float buffer[kTapTableMaxOutputs + kTapTableMax + kTapTableMaxOutputs];
  float *centre = buffer + size;
  // Zero margins, and phase slots past the input's last row or column, which stay zero.
  std::fill(buffer, centre + source + size, 0.0f);
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t c = 0; c < g.c; ++c) {
      const float *src = input + (n * g.c + c) * plane;
      if (!phases) {
        for (int64_t e = 0; e < plane; ++e) centre[e] = src[e];
      } else {
        copy_to_phase_planes(g, *phases, phases->cols, src, centre);
      }
      for (int64_t tap = 0; tap < t.taps; ++tap) {
        const float *from = centre + t.shift[tap];
        const uint32_t *keep = t.keep + tap * size;
        float *dst = col + (c * t.taps + tap) * cols + n * size;
        for (int64_t e = 0; e < size; ++e) dst[e] = masked(from[e], keep[e]);
      }
    }
  }
}

// A strided window's table through its phase planes, where that makes every tap a shifted copy
// of more than kFewLowered elements: the phase planes as wide as the output (a ResNet's 3x3/2
// and 1x1/2 layers on 7x7 planes) and small enough for lower_shifted's buffer.
bool strided_taps_shift(const WindowGeometry &g, PhasePlanes &phases, TapTable &t) {
  if ((g.sh == 1 && g.sw == 1) || g.oh * g.ow <= kFewLowered) return false;
  phases = phase_planes(g);
  if (phases.cols != g.ow || phases.total > kTapTableMax) return false;
  build_phase_lowering_table(g, phases, t);
  return all_taps_shifted(t);
}

// Blocks are a few dozen floats: keep GCC from turning their copies into library calls.
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif
NNSTATE_VECTOR_CLONES void
im2col_by_table(const WindowGeometry &g, const TapTable &t, const float *input, float *col) {
  const int64_t plane = g.h * g.w, cols = g.col_cols();
  if (plane <= kShuffledPlane && t.size == 4) {
    if (plane == 16) {
      lower_to_2x2<16>(g, t, input, col);
    } else if (plane == 4) {
      lower_to_2x2<4>(g, t, input, col);
    } else {
      lower_to_2x2<0>(g, t, input, col);
    }
    return;
  }
  if (t.size > kFewLowered && all_taps_shifted(t)) {
    lower_shifted(g, t, nullptr, input, col);
    return;
  }
  for (int64_t c = 0; c < g.c; ++c) {
    for (int64_t tap = 0; tap < t.taps; ++tap) {
      float *row = col + (c * t.taps + tap) * cols;
      if (t.lo[tap] == t.hi[tap]) {  // the tap reads only padding
        std::fill(row, row + g.n * t.size, 0.0f);
        continue;
      }
      if (t.size <= kFewLowered) {  // across the samples
        for (int64_t e = 0; e < t.size; ++e) {
          const float *src = input + c * plane + t.index[tap * t.size + e];
          const uint32_t keep = t.keep[tap * t.size + e];
          for (int64_t n = 0; n < g.n; ++n) {
            row[n * t.size + e] = masked(src[n * g.c * plane], keep);
          }
        }
        continue;
      }
      for (int64_t n = 0; n < g.n; ++n) {
        tap_block<false>(t, tap, input + (n * g.c + c) * plane, row + n * t.size);
      }
    }
  }
}

// Each input element sums its taps' entries in tap order from +0.0, as the general col2im does;
// a masked tap adds +0.0, which leaves such a sum unchanged (it is never -0.0): the same bits.
NNSTATE_VECTOR_CLONES void col2im_by_table(const WindowGeometry &g, const TapTable &t,
                                           const float *col, float *input_grad) {
  const int64_t out_plane = g.oh * g.ow, cols = g.col_cols();
  if (t.size <= kFewRaised) {  // across the samples, as in im2col_by_table
    for (int64_t c = 0; c < g.c; ++c) {
      for (int64_t e = 0; e < t.size; ++e) {
        float *dst = input_grad + c * t.size + e;
        const int64_t step = g.c * t.size;
        for (int64_t n = 0; n < g.n; ++n) dst[n * step] = 0.0f;
        for (int64_t tap = 0; tap < t.taps; ++tap) {
          const uint32_t keep = t.keep[tap * t.size + e];
          if (!keep) continue;
          const float *src = col + (c * t.taps + tap) * cols + t.index[tap * t.size + e];
          for (int64_t n = 0; n < g.n; ++n) dst[n * step] += src[n * out_plane];
        }
      }
    }
    return;
  }
  if (out_plane == 4 && t.size <= kShuffledPlane) {
    if (t.size == 16) {
      raise_from_2x2<16>(g, t, col, input_grad);
    } else if (t.size == 4) {
      raise_from_2x2<4>(g, t, col, input_grad);
    } else {
      raise_from_2x2<0>(g, t, col, input_grad);
    }
    return;
  }
  if (tiny_planes(g)) {
    for (int64_t n = 0; n < g.n; ++n) {
      for (int64_t c = 0; c < g.c; ++c) {
        float sum[kTinyPlane] = {};
        for (int64_t tap = 0; tap < t.taps; ++tap) {
          const float *src = col + (c * t.taps + tap) * cols + n * out_plane;
          const int32_t *index = t.index + tap * t.size;
          const uint32_t *keep = t.keep + tap * t.size;
          for (int64_t e = 0; e < t.size; ++e) sum[e] += masked(src[index[e]], keep[e]);
        }
        std::copy(sum, sum + t.size, input_grad + (n * g.c + c) * t.size);
      }
    }
    return;
  }
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t c = 0; c < g.c; ++c) {
      float *dst = input_grad + (n * g.c + c) * t.size;
      std::fill(dst, dst + t.size, 0.0f);
      for (int64_t tap = 0; tap < t.taps; ++tap) {
        if (t.lo[tap] == t.hi[tap]) continue;  // no element receives anything from this tap
        tap_block<true>(t, tap, col + (c * t.taps + tap) * cols + n * out_plane, dst);
      }
    }
  }
}

}  // namespace

int64_t output_extent(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation) {
  // 128-bit: a caller's input extent near 2^63 plus padding must not wrap. The result is at
  // most in + 2 * pad, and a shape holding it is refused later when its product overflows.
  const __int128 span = static_cast<__int128>(in) + 2 * static_cast<__int128>(pad) -
                        static_cast<__int128>(dilation) * (kernel - 1) - 1;
  if (span < 0) return 0;
  const __int128 extent = span / stride + 1;
  return extent > INT64_MAX ? INT64_MAX : static_cast<int64_t>(extent);
}

WindowGeometry window_geometry(const Shape &input, const Size2 &kernel, const Size2 &stride,
                               const Size2 &padding, const Size2 &dilation) {
  WindowGeometry g;
  g.n = input[0];
  g.c = input[1];
  g.h = input[2];
  g.w = input[3];
  g.kh = kernel.h;
  g.kw = kernel.w;
  g.sh = stride.h;
  g.sw = stride.w;
  g.ph = padding.h;
  g.pw = padding.w;
  g.dh = dilation.h;
  g.dw = dilation.w;
  g.oh = output_extent(g.h, g.kh, g.sh, g.ph, g.dh);
  g.ow = output_extent(g.w, g.kw, g.sw, g.pw, g.dw);
  return g;
}

TapRectangle active_taps(const WindowGeometry &g) {
  TapRectangle r;
  active_span(g.h, g.oh, g.kh, g.sh, g.ph, g.dh, r.i_lo, r.i_hi);
  active_span(g.w, g.ow, g.kw, g.sw, g.pw, g.dw, r.j_lo, r.j_hi);
  return r;
}

bool trims_taps(const WindowGeometry &g, const TapRectangle &r) {
  return r.taps() > 0 && r.taps() < g.kh * g.kw && r.i_lo * g.dh <= g.ph && r.j_lo * g.dw <= g.pw;
}

WindowGeometry trim_to_active_taps(const WindowGeometry &g, const TapRectangle &r) {
  WindowGeometry t = g;
  t.kh = r.i_hi - r.i_lo;
  t.kw = r.j_hi - r.j_lo;
  t.ph = g.ph - r.i_lo * g.dh;
  t.pw = g.pw - r.j_lo * g.dw;
  return t;  // oh and ow stay: the taps left out only ever read padding
}

// Output rows are short (often 7 to 28 columns), so a library call per row segment would cost
// more than the copy: keep GCC from turning the copy loop into memcpy.
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif
NNSTATE_VECTOR_CLONES void
im2col(const WindowGeometry &g, const float *input, float *col) {
  if (fits_tap_table(g)) {
    TapTable table;
    PhasePlanes phases;
    if (strided_taps_shift(g, phases, table)) {
      lower_shifted(g, table, &phases, input, col);
      return;
    }
    build_lowering_table(g, table);
    im2col_by_table(g, table, input, col);
    return;
  }
  if (im2col_through_phases(g, input, col)) return;
  const int64_t h = g.h, w = g.w, oh = g.oh, ow = g.ow, sh = g.sh, sw = g.sw;
  const int64_t plane = h * w, out_plane = oh * ow, cols = g.col_cols();
  for (int64_t c = 0; c < g.c; ++c) {
    for (int64_t i = 0; i < g.kh; ++i) {
      // Output rows y in [y_lo, y_hi) read input row y sh + row_offset; the others are padding.
      const int64_t row_offset = i * g.dh - g.ph;
      const PositionRange rows = reading_range(h, oh, sh, row_offset);
      const int64_t y_lo = rows.lo, y_hi = rows.hi;
      for (int64_t j = 0; j < g.kw; ++j) {
        const ColumnRange r = column_range(g, j);
        // Stride 1 with output rows as wide as input rows (3x3 padding 1, say): the block is the
        // input plane shifted, copied in one run.
        const bool same_rows = sh == 1 && sw == 1 && ow == w && r.lo < r.hi;
        const bool padded = y_lo > 0 || y_hi < oh || r.lo > 0 || r.hi < ow;
        float *row = col + ((c * g.kh + i) * g.kw + j) * cols;
        for (int64_t n = 0; n < g.n; ++n) {
          const float *src_plane = input + (n * g.c + c) * plane;
          float *dst = row + n * out_plane;
          if (same_rows) {
            lower_same_rows(src_plane, row_offset * w + r.offset, y_lo, y_hi, r.lo, r.hi, ow, oh,
                            dst);
            continue;
          }
          if (padded) std::fill(dst, dst + out_plane, 0.0f);  // one long fill per block
          for (int64_t y = y_lo; y < y_hi; ++y) {
            const float *src = src_plane + (y * sh + row_offset) * w;
            float *d = dst + y * ow;
            if (sw == 1) {
              copy_short_row(src + r.lo + r.offset, r.hi - r.lo, d + r.lo);
            } else if (sw == 2) {  // a constant stride vectorises (loads and a permute)
              for (int64_t x = r.lo; x < r.hi; ++x) d[x] = src[x * 2 + r.offset];
            } else {
              for (int64_t x = r.lo; x < r.hi; ++x) d[x] = src[x * sw + r.offset];
            }
          }
        }
      }
    }
  }
}

NNSTATE_VECTOR_CLONES void col2im(const WindowGeometry &g, const float *col, float *input_grad) {
  if (raises_by_table(g)) {
    TapTable table;
    build_gradient_table(g, table);
    col2im_by_table(g, table, col, input_grad);
    return;
  }
  const int64_t plane = g.h * g.w, out_plane = g.oh * g.ow, cols = g.col_cols();
  std::fill(input_grad, input_grad + g.n * g.c * plane, 0.0f);
  for (int64_t c = 0; c < g.c; ++c) {
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t j = 0; j < g.kw; ++j) {
        const ColumnRange r = column_range(g, j);
        const float *row = col + ((c * g.kh + i) * g.kw + j) * cols;
        for (int64_t n = 0; n < g.n; ++n) {
          float *dst_plane = input_grad + (n * g.c + c) * plane;
          const float *src = row + n * out_plane;
          for (int64_t y = 0; y < g.oh; ++y, src += g.ow) {
            const int64_t iy = y * g.sh - g.ph + i * g.dh;
            if (iy < 0 || iy >= g.h) continue;
            float *dst = dst_plane + iy * g.w;
            for (int64_t x = r.lo; x < r.hi; ++x) dst[x * g.sw + r.offset] += src[x];
          }
        }
      }
    }
  }
}

}  // namespace nnstate
