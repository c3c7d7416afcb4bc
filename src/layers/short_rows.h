// Copies of rows of a few dozen floats (lowering blocks of small planes) as 8-float moves, the
// last one overlapping the one before where the length is not a multiple of 8: a 14-float row is
// two moves instead of a vector loop's prologue, body and epilogue. Inlined into the callers'
// vector clones (util/vector_clones.h). (The same for masked copies, lower_shifted's blocks of 16
// and 49 floats, was 10-17% slower than GCC's vectorised loop.)
#pragma once

#include <cstdint>
#include <cstring>

namespace nnstate {

constexpr int64_t kShortRowMove = 8;

// dst[0, n) = src[0, n).
inline __attribute__((always_inline)) void copy_short_row(const float *src, int64_t n, float *dst) {
  if (n < kShortRowMove) {
    for (int64_t x = 0; x < n; ++x) dst[x] = src[x];
    return;
  }
  int64_t x = 0;
  for (; x + kShortRowMove <= n; x += kShortRowMove) {
    std::memcpy(dst + x, src + x, kShortRowMove * sizeof(float));
  }
  if (x < n) {
    std::memcpy(dst + n - kShortRowMove, src + n - kShortRowMove, kShortRowMove * sizeof(float));
  }
}

}  // namespace nnstate
