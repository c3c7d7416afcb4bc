// MaxPool2d's common case, a 2x2 window with stride 2, no padding and no dilation, on its own
// path: the four taps of a window are compared in row-major order by the general rule (a later
// tap wins when it is greater or NaN, as in PyTorch), several windows at a time.
#pragma once

#include <cstdint>

namespace nnstate {

// One output row from input rows row0 and row1 (= row0 + width): best[x] and arg[x] (the
// winner's offset in the plane, row0_index being row0's) for x in [0, ow).
void pool_2x2_row(const float *row0, const float *row1, int32_t row0_index, int32_t width,
                  int64_t ow, float *best, int32_t *arg);

// One plane's input gradient, h x w with both even (the windows tile the plane): each element
// gets 0 + dy of its window when it was the window's maximum, else 0, the bits that zeroing the
// plane and adding dy at arg would give, in one pass.
void unpool_2x2_plane(const float *dy, const int32_t *arg, int64_t h, int64_t w, float *dx);

}  // namespace nnstate
