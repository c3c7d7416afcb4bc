// Which output positions of a sliding window read inside the input, per kernel row or column:
// computed once per tap instead of tested per element (im2col.cpp, phase_planes.cpp).
#pragma once

#include <algorithm>
#include <cstdint>

#include "layers/im2col.h"

namespace nnstate {

inline int64_t ceil_div_clamped(int64_t a, int64_t b) {
  return a <= 0 ? 0 : (a + b - 1) / b;
}

// Output positions p in [lo, hi) read input position p * stride + offset inside [0, in); the
// others fall into the padding. Computed once per kernel row or column instead of tested per
// element.
struct PositionRange {
  int64_t lo, hi;
};

inline PositionRange reading_range(int64_t in, int64_t out, int64_t stride, int64_t offset) {
  const int64_t hi = std::min(out, ceil_div_clamped(in - offset, stride));
  return {std::min(hi, ceil_div_clamped(-offset, stride)), hi};
}

// For kernel column j, output columns x in [lo, hi) read input column x * sw + offset.
struct ColumnRange {
  int64_t lo, hi, offset;
};

inline ColumnRange column_range(const WindowGeometry &g, int64_t j) {
  const int64_t offset = j * g.dw - g.pw;
  const PositionRange r = reading_range(g.w, g.ow, g.sw, offset);
  return {r.lo, r.hi, offset};
}

}  // namespace nnstate
