// Phase planes: a strided window's input split by stride phase, so that each kernel tap reads
// a plane shifted, as with stride 1 (contiguous copies instead of strided ones). Used by the tap
// tables (tap_table.h) and by im2col on larger planes (below).
#pragma once

#include <cstdint>

#include "layers/im2col.h"

namespace nnstate {

// The phase planes of a strided window's input: plane (a, b) of the sh x sw holds input rows a,
// a + sh, ... and columns b, b + sw, ..., each `rows` x `cols` (ceil(h / sh) x ceil(w / sw)),
// one after another. Read through them, a strided tap's block is a shifted copy like a stride-1
// tap's (when cols equals the output width).
struct PhasePlanes {
  int64_t rows = 0, cols = 0, total = 0;  // total = sh sw rows cols (INT64_MAX for huge strides)
  // Bit a of row_phases (b of column_phases) set: some kernel tap reads phase rows a (columns b);
  // the others need not be copied (a 1x1/2 kernel reads one phase plane of four). All set for
  // strides above 64.
  uint64_t row_phases = 0, column_phases = 0;
  bool read(int64_t a, int64_t b) const {
    return (row_phases >> (a & 63) & 1) && (column_phases >> (b & 63) & 1);
  }
  int64_t index(const WindowGeometry &g, int64_t iy, int64_t ix) const {
    return ((iy % g.sh) * g.sw + ix % g.sw) * rows * cols + (iy / g.sh) * cols + ix / g.sw;
  }
};
PhasePlanes phase_planes(const WindowGeometry &g);

// An input plane into the phase planes at `to` that some tap reads, rows `pitch` floats apart
// (p.cols, or more where rows carry margins) and planes rows * pitch; the other phases, and
// slots past the input's last row or column, are left as they are (zero). Inlined into vector
// clones.
inline __attribute__((always_inline)) void copy_to_phase_planes(const WindowGeometry &g,
                                                                const PhasePlanes &p, int64_t pitch,
                                                                const float *src, float *to) {
  for (int64_t a = 0; a < g.sh; ++a) {
    for (int64_t b = 0; b < g.sw; ++b, to += p.rows * pitch) {
      if (!p.read(a, b)) continue;
      for (int64_t u = 0, iy = a; iy < g.h; ++u, iy += g.sh) {
        for (int64_t v = 0, ix = b; ix < g.w; ++v, ix += g.sw) {
          to[u * pitch + v] = src[iy * g.w + ix];
        }
      }
    }
  }
}

// im2col (im2col.h) of strided windows through phase planes with zero margins, where the general
// path would copy each output row strided: planes of up to 64x64 floats, kernels of more taps
// than phases and of at most 64 rows and columns (a ResNet stem's 7x7/2 on 28x28). The same
// columns. Returns false, having done nothing, where it does not apply. (The same for col2im,
// adding whole rows into the margined planes, was no faster than the general path's strided
// adds: each tap's loads wait on the previous tap's overlapping stores.)
bool im2col_through_phases(const WindowGeometry &g, const float *input, float *col);

}  // namespace nnstate
