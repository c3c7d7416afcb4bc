#include "layers/phase_planes.h"

#include <algorithm>

#include "layers/short_rows.h"
#include "layers/window_ranges.h"
#include "util/vector_clones.h"

namespace nnstate {
namespace {

uint64_t phases_read(int64_t kernel, int64_t stride, int64_t pad, int64_t dilation) {
  if (stride > 64) return ~uint64_t{0};
  uint64_t read = 0;
  // Tap i's phase is (i dilation - pad) mod stride, periodic in i with period stride.
  for (int64_t i = 0; i < std::min(kernel, stride); ++i) {
    const int64_t phase = ((i * dilation - pad) % stride + stride) % stride;
    read |= uint64_t{1} << phase;
  }
  return read;
}

// Padded phase planes of at most this many floats are built on the stack (16 KiB); kernels of at
// most kMaxPhaseKernel rows and columns keep their per-row and per-column spans there too.
constexpr int64_t kPaddedPhasesMax = 4096, kMaxPhaseKernel = 64;

// Where a tap's offset along one dimension (i dh - ph, say) lands: input position y stride +
// offset is phase `phase`, position y + shift of its plane.
struct PhaseOffset {
  int64_t phase = 0, shift = 0;
};

PhaseOffset phase_offset(int64_t offset, int64_t stride) {
  const int64_t phase = (offset % stride + stride) % stride;
  return {phase, (offset - phase) / stride};
}

// A kernel row's or column's output positions that read inside the input, and where they read.
struct PhaseSpan {
  PositionRange range{0, 0};
  PhaseOffset at;  // only where the range is not empty (the shift is then small)
  bool empty() const { return range.lo == range.hi; }
};

// Phase planes whose rows carry `left` zero columns before and enough after that every output
// column of a tap that reads the input at all falls inside its padded row, on zero where the
// input has nothing. A tap's block is then a contiguous copy of ow floats per output row (no
// edge fills).
struct PaddedPhases {
  PhasePlanes p;
  int64_t left = 0, pitch = 0, plane = 0, total = 0;  // plane = p.rows * pitch
  PhaseSpan rows[kMaxPhaseKernel], columns[kMaxPhaseKernel];
  // Where tap (i, j)'s block starts: output (y, x) reads buffer[block + y pitch + x] (an offset
  // that may be negative: only the rows in range are read).
  int64_t block(const WindowGeometry &g, int64_t i, int64_t j) const {
    const PhaseOffset &y = rows[i].at, &x = columns[j].at;
    return (y.phase * g.sw + x.phase) * plane + y.shift * pitch + left + x.shift;
  }
};

bool plan_padded_phases(const WindowGeometry &g, PaddedPhases &pp) {
  if ((g.sh == 1 && g.sw == 1) || g.kh > kMaxPhaseKernel || g.kw > kMaxPhaseKernel) return false;
  // A kernel of no more taps than phases reads each phase about once: copying the planes first
  // would double the work (a 1x1/2 shortcut, a 2x2/2 patch kernel).
  if (g.sh > kMaxPhaseKernel || g.sw > kMaxPhaseKernel || g.kh * g.kw <= g.sh * g.sw) return false;
  pp.p = phase_planes(g);
  if (pp.p.total > kPaddedPhasesMax) return false;
  int64_t first = 0, last = pp.p.cols - 1;  // the phase columns read, margins included
  for (int64_t i = 0; i < g.kh; ++i) {
    const int64_t offset = i * g.dh - g.ph;
    PhaseSpan &s = pp.rows[i];
    s.range = reading_range(g.h, g.oh, g.sh, offset);
    if (!s.empty()) s.at = phase_offset(offset, g.sh);
  }
  for (int64_t j = 0; j < g.kw; ++j) {
    const int64_t offset = j * g.dw - g.pw;
    PhaseSpan &s = pp.columns[j];
    s.range = reading_range(g.w, g.ow, g.sw, offset);
    if (s.empty()) continue;
    // Output column x_lo reads phase column x_lo + shift in [0, cols): |shift| < ow + cols.
    s.at = phase_offset(offset, g.sw);
    first = std::min(first, s.at.shift);
    last = std::max(last, g.ow - 1 + s.at.shift);
  }
  pp.left = -first;
  pp.pitch = pp.left + last + 1;
  pp.plane = pp.p.rows * pp.pitch;  // rows <= 4096, pitch < 3 (ow + cols): no overflow
  pp.total = 0;
  return !__builtin_mul_overflow(g.sh * g.sw, pp.plane, &pp.total) && pp.total <= kPaddedPhasesMax;
}

}  // namespace

PhasePlanes phase_planes(const WindowGeometry &g) {
  PhasePlanes p;
  p.rows = (g.h + g.sh - 1) / g.sh;
  p.cols = (g.w + g.sw - 1) / g.sw;
  // Saturated: a caller's huge stride or plane simply counts as too many to copy.
  int64_t total = 0;
  const bool fits = !__builtin_mul_overflow(g.sh, g.sw, &total) &&
                    !__builtin_mul_overflow(total, p.rows, &total) &&
                    !__builtin_mul_overflow(total, p.cols, &total);
  p.total = fits ? total : INT64_MAX;
  p.row_phases = phases_read(g.kh, g.sh, g.ph, g.dh);
  p.column_phases = phases_read(g.kw, g.sw, g.pw, g.dw);
  return p;
}

// Output rows are short (14 floats on a stem's 28x28 input): keep GCC from turning their copies
// into library calls.
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((optimize("no-tree-loop-distribute-patterns")))
#endif
NNSTATE_VECTOR_CLONES bool
im2col_through_phases(const WindowGeometry &g, const float *input, float *col) {
  PaddedPhases pp;
  if (!plan_padded_phases(g, pp)) return false;
  const int64_t plane = g.h * g.w, out_plane = g.oh * g.ow, cols = g.col_cols(), ow = g.ow;
  float buffer[kPaddedPhasesMax];
  std::fill(buffer, buffer + pp.total, 0.0f);  // margins and slots no input element fills
  for (int64_t n = 0; n < g.n; ++n) {
    for (int64_t c = 0; c < g.c; ++c) {
      copy_to_phase_planes(g, pp.p, pp.pitch, input + (n * g.c + c) * plane, buffer + pp.left);
      for (int64_t i = 0; i < g.kh; ++i) {
        const PositionRange rows = pp.rows[i].range;
        for (int64_t j = 0; j < g.kw; ++j) {
          float *dst = col + ((c * g.kh + i) * g.kw + j) * cols + n * out_plane;
          if (rows.lo == rows.hi || pp.columns[j].empty()) {
            std::fill(dst, dst + out_plane, 0.0f);
            continue;
          }
          // Output row rows.lo's source (rows above it may lie before the buffer).
          const float *from = buffer + (pp.block(g, i, j) + rows.lo * pp.pitch);
          std::fill(dst, dst + rows.lo * ow, 0.0f);
          for (int64_t y = rows.lo; y < rows.hi; ++y, from += pp.pitch) {
            copy_short_row(from, ow, dst + y * ow);
          }
          std::fill(dst + rows.hi * ow, dst + out_plane, 0.0f);
        }
      }
    }
  }
  return true;
}

}  // namespace nnstate
