// Tap tables of sliding windows on small planes (see TapTable).
#pragma once

#include <cstdint>

#include "layers/im2col.h"
#include "layers/phase_planes.h"

namespace nnstate {

// Tap tables: sliding windows on small planes (a ResNet's 7x7 down to 1x1) as gathers. A
// (channel, sample) block holds a few dozen elements, so per-row set-up, fills and short copies
// cost more than the data; im2col, col2im (im2col.cpp) and MaxPool2d (max_pool2d.cpp) use instead
// a table built once per call (at most a few thousand entries, on the stack: nothing allocated
// per step): for each kernel tap and each destination element, where in the source block it
// comes from, and a mask that is zero where it comes from nowhere (padding). Masked loads read
// inside the block and clear the bits, so the loops have no branches; where a tap reads its block
// shifted (stride 1), they are contiguous and vectorise.
constexpr int64_t kTapTableMax = 2048, kMaxTableTaps = 64;  // ~18 KB of stack
constexpr int64_t kTapTableMaxOutputs = 64;                 // output elements per plane at most

struct TapTable {
  int64_t taps = 0, size = 0;   // per tap, `size` destination elements
  int32_t index[kTapTableMax];  // source element within the block
  uint32_t keep[kTapTableMax];  // all ones, or zero: the element is padding / receives nothing
  // Per tap: whether every kept element reads index = element + shift (stride 1 with rows as
  // wide as the source's), so that the block is a masked contiguous copy of [lo, hi).
  bool shifted[kMaxTableTaps];
  int64_t shift[kMaxTableTaps], lo[kMaxTableTaps], hi[kMaxTableTaps];
};

// Whether g's planes are small enough for a table (at most 64 outputs, and the table's limits).
bool fits_tap_table(const WindowGeometry &g);
// im2col's table, also MaxPool2d's: destination = output position, source = input position.
void build_lowering_table(const WindowGeometry &g, TapTable &t);
// im2col's table with its sources in g's phase planes (which must hold at most kTapTableMax
// floats).
void build_phase_lowering_table(const WindowGeometry &g, const PhasePlanes &p, TapTable &t);
// col2im's table: destination = input position, source = the output position whose window
// reads it through this tap (at most one: the stride maps output positions apart).
void build_gradient_table(const WindowGeometry &g, TapTable &t);

}  // namespace nnstate
