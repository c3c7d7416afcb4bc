#include "layers/tap_table.h"

namespace nnstate {

bool fits_tap_table(const WindowGeometry &g) {
  const int64_t taps = g.kh * g.kw, out = g.oh * g.ow, in = g.h * g.w;
  return out >= 1 && out <= kTapTableMaxOutputs && in >= 1 && taps <= kMaxTableTaps &&
         taps <= kTapTableMax / out && taps <= kTapTableMax / in;
}

namespace {

void set_entry(TapTable &t, int64_t at, bool valid, int64_t index) {
  t.index[at] = valid ? static_cast<int32_t>(index) : 0;
  t.keep[at] = valid ? ~0u : 0u;
}

// Fills each tap's shifted, shift, lo and hi from its entries.
void find_shifts(TapTable &t) {
  for (int64_t tap = 0; tap < t.taps; ++tap) {
    const int32_t *index = t.index + tap * t.size;
    const uint32_t *keep = t.keep + tap * t.size;
    int64_t lo = t.size, hi = 0, shift = 0;
    bool shifted = true;
    for (int64_t e = 0; e < t.size; ++e) {
      if (!keep[e]) continue;
      if (lo == t.size) shift = index[e] - e;
      shifted = shifted && index[e] - e == shift;
      lo = std::min(lo, e);
      hi = e + 1;
    }
    t.shifted[tap] = shifted;
    t.shift[tap] = shift;
    t.lo[tap] = std::min(lo, hi);
    t.hi[tap] = hi;
  }
}

// Fills a table whose destination blocks are rows x cols: source(i, j, y, x, index) tells whether
// destination element (y, x) of kernel tap (i, j) comes from somewhere, and sets where from.
template <class Source>
void build_table(const WindowGeometry &g, int64_t rows, int64_t cols, Source source, TapTable &t) {
  t.taps = g.kh * g.kw;
  t.size = rows * cols;
  for (int64_t tap = 0; tap < t.taps; ++tap) {
    for (int64_t y = 0; y < rows; ++y) {
      for (int64_t x = 0; x < cols; ++x) {
        int64_t index = 0;
        const bool valid = source(tap / g.kw, tap % g.kw, y, x, index);
        set_entry(t, tap * t.size + y * cols + x, valid, index);
      }
    }
  }
  find_shifts(t);
}

// im2col's table with input position (iy, ix) at index_of(iy, ix) of the source block.
template <class IndexOf>
void build_lowering(const WindowGeometry &g, IndexOf index_of, TapTable &t) {
  auto source = [&g, &index_of](int64_t i, int64_t j, int64_t y, int64_t x, int64_t &index) {
    const int64_t iy = y * g.sh - g.ph + i * g.dh, ix = x * g.sw - g.pw + j * g.dw;
    const bool valid = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
    index = valid ? index_of(iy, ix) : 0;
    return valid;
  };
  build_table(g, g.oh, g.ow, source, t);
}

}  // namespace

void build_lowering_table(const WindowGeometry &g, TapTable &t) {
  build_lowering(
      g, [&g](int64_t iy, int64_t ix) { return iy * g.w + ix; }, t);
}

void build_phase_lowering_table(const WindowGeometry &g, const PhasePlanes &p, TapTable &t) {
  build_lowering(
      g, [&g, &p](int64_t iy, int64_t ix) { return p.index(g, iy, ix); }, t);
}

void build_gradient_table(const WindowGeometry &g, TapTable &t) {
  auto source = [&g](int64_t i, int64_t j, int64_t iy, int64_t ix, int64_t &index) {
    const int64_t ry = iy + g.ph - i * g.dh, rx = ix + g.pw - j * g.dw;
    const int64_t y = ry / g.sh, x = rx / g.sw;
    index = y * g.ow + x;
    return ry >= 0 && rx >= 0 && ry % g.sh == 0 && rx % g.sw == 0 && y < g.oh && x < g.ow;
  };
  build_table(g, g.h, g.w, source, t);
}

}  // namespace nnstate
