// im2col / col2im: the lowering that turns a convolution into one matrix product. The column
// matrix has one row per (input channel, kernel row, kernel column) and one column per
// (sample, output row, output column), so a group's rows are contiguous and a whole batch is
// multiplied by the weight [out_c, in_c * kh * kw] in a single sgemm.
#pragma once

#include <cstdint>

#include "layers/layer.h"

namespace nnstate {

// Sizes of one 2-d sliding-window operation on [n, c, h, w] inputs.
struct WindowGeometry {
  int64_t n = 0, c = 0, h = 0, w = 0;  // input
  int64_t kh = 1, kw = 1;              // kernel
  int64_t sh = 1, sw = 1;              // stride
  int64_t ph = 0, pw = 0;              // padding
  int64_t dh = 1, dw = 1;              // dilation
  int64_t oh = 0, ow = 0;              // output, from output_extent

  int64_t col_rows() const { return c * kh * kw; }
  int64_t col_cols() const { return n * oh * ow; }
};

// PyTorch's output size floor((in + 2 pad - dilation (kernel - 1) - 1) / stride) + 1, or a
// value <= 0 when the (padded) input is smaller than the dilated kernel.
int64_t output_extent(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dilation);
// The geometry of a layer's window (kernel, stride, padding, dilation) on an input of shape
// [n, c, h, w].
WindowGeometry window_geometry(const Shape &input, const Size2 &kernel, const Size2 &stride,
                               const Size2 &padding, const Size2 &dilation);

// The kernel taps that read the input at some output position: rows i in [i_lo, i_hi) and
// columns j in [j_lo, j_hi) (a rectangle, since a tap's reach moves monotonically with i and j).
// The other taps read only padding: a 3x3 kernel with padding 1 on a 1x1 plane has one such
// tap in use, a strided one on a 2x2 plane four.
struct TapRectangle {
  int64_t i_lo = 0, i_hi = 0, j_lo = 0, j_hi = 0;
  int64_t taps() const { return (i_hi - i_lo) * (j_hi - j_lo); }
};
TapRectangle active_taps(const WindowGeometry &g);
// Whether lowering may leave out the taps outside active_taps(g): some are outside, and the
// rest start at or after the padding (so that trim_to_active_taps' padding stays >= 0).
bool trims_taps(const WindowGeometry &g, const TapRectangle &r);
// The geometry whose kernel is r's taps (the same output, padding reduced by the taps left
// out): its im2col is im2col(g) without the rows of the other taps, which are all zero, and its
// col2im ignores them (they never reach the input).
WindowGeometry trim_to_active_taps(const WindowGeometry &g, const TapRectangle &r);

// col[(c, i, j), (n, y, x)] = input[n, c, y sh - ph + i dh, x sw - pw + j dw], 0 outside.
void im2col(const WindowGeometry &g, const float *input, float *col);
// The adjoint of im2col: input_grad = sum of col entries over the positions they were read
// from. Overwrites input_grad.
void col2im(const WindowGeometry &g, const float *col, float *input_grad);

}  // namespace nnstate
