#include "layers/im2col.h"

#include <algorithm>
#include <cstdint>

#include "util/vector_clones.h"

namespace nnstate {
namespace {

int64_t ceil_div_clamped(int64_t a, int64_t b) {
  return a <= 0 ? 0 : (a + b - 1) / b;
}

// For kernel column j, output columns x in [lo, hi) read input column x * sw + offset; the
// others fall into the padding. Computed once per kernel column instead of tested per element.
struct ColumnRange {
  int64_t lo, hi, offset;
};

ColumnRange column_range(const WindowGeometry &g, int64_t j) {
  const int64_t offset = j * g.dw - g.pw;
  const int64_t hi = std::min(g.ow, ceil_div_clamped(g.w - offset, g.sw));
  const int64_t lo = std::min(hi, ceil_div_clamped(-offset, g.sw));
  return {lo, hi, offset};
}

// One im2col block when source and destination rows have the same width: dst[y, x] =
// src[y * ow + x + shift] for y in [y_lo, y_hi), x in [x_lo, x_hi), zero elsewhere. The run from
// the first to the last valid element is copied at once (reading only inside the input plane); the
// wrapped-around entries of the edge columns and the rows outside are then zeroed.
void lower_same_rows(const float *src, int64_t shift, int64_t y_lo, int64_t y_hi, int64_t x_lo,
                     int64_t x_hi, int64_t ow, int64_t oh, float *dst) {
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

// Output rows are short (often 7 to 28 columns), so a library call per row segment would cost
// more than the copy: keep GCC from turning the copy loop into memcpy.
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif
void im2col(const WindowGeometry &g, const float *input, float *col) {
  const int64_t h = g.h, w = g.w, oh = g.oh, ow = g.ow, sh = g.sh, sw = g.sw;
  const int64_t plane = h * w, out_plane = oh * ow, cols = g.col_cols();
  for (int64_t c = 0; c < g.c; ++c) {
    for (int64_t i = 0; i < g.kh; ++i) {
      // Output rows y in [y_lo, y_hi) read input row y sh + row_offset; the others are padding.
      const int64_t row_offset = i * g.dh - g.ph;
      const int64_t y_hi = std::min(oh, ceil_div_clamped(h - row_offset, sh));
      const int64_t y_lo = std::min(y_hi, ceil_div_clamped(-row_offset, sh));
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
              for (int64_t x = r.lo; x < r.hi; ++x) d[x] = src[x + r.offset];
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
