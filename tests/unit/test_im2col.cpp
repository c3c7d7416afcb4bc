// im2col and col2im against their definition, on the general path (output planes over 64) and
// the tap-table path of small planes, with stride, padding (also beyond the kernel), dilation
// and taps that read only padding. col2im must equal the definition's sum bit for bit: both
// add an element's contributions in (channel, kernel row, kernel column) order.
#include <doctest/doctest.h>

#include <cstring>
#include <vector>

#include "layers/im2col.h"
#include "random/rng.h"

using namespace nnstate;

namespace {

WindowGeometry geometry(int64_t n, int64_t c, int64_t h, int64_t w, Size2 k, Size2 s, Size2 p,
                        Size2 d) {
  return window_geometry(Shape{n, c, h, w}, k, s, p, d);
}

std::vector<float> random_values(int64_t count, uint64_t seed) {
  Rng rng(seed, RngStream::init);
  std::vector<float> v(static_cast<size_t>(count));
  for (float &x : v) x = rng.uniform(-1.0f, 1.0f);
  return v;
}

// Calls f(column index into col, input index or -1 for padding) for every column entry, in the
// definition's order.
template <class F>
void for_each_entry(const WindowGeometry &g, F f) {
  const int64_t cols = g.col_cols();
  for (int64_t c = 0; c < g.c; ++c) {
    for (int64_t i = 0; i < g.kh; ++i) {
      for (int64_t j = 0; j < g.kw; ++j) {
        for (int64_t n = 0; n < g.n; ++n) {
          for (int64_t y = 0; y < g.oh; ++y) {
            for (int64_t x = 0; x < g.ow; ++x) {
              const int64_t iy = y * g.sh - g.ph + i * g.dh, ix = x * g.sw - g.pw + j * g.dw;
              const int64_t row = (c * g.kh + i) * g.kw + j;
              const int64_t column = row * cols + (n * g.oh + y) * g.ow + x;
              const bool in = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
              f(column, in ? ((n * g.c + c) * g.h + iy) * g.w + ix : -1);
            }
          }
        }
      }
    }
  }
}

}  // namespace

TEST_CASE("im2col and col2im equal their definition on small and large output planes") {
  const std::vector<WindowGeometry> cases = {
      // Small planes (at most 64 outputs): the tap table.
      geometry(3, 2, 7, 7, {3, 3}, {1, 1}, {1, 1}, {1, 1}),  // a ResNet layer1 conv
      geometry(2, 3, 7, 7, {3, 3}, {2, 2}, {1, 1}, {1, 1}),  // its downsampling conv
      geometry(2, 2, 1, 1, {3, 3}, {1, 1}, {1, 1}, {1, 1}),  // 1x1 plane: 8 of 9 taps padding
      geometry(2, 2, 2, 3, {1, 1}, {2, 2}, {0, 0}, {1, 1}),  // a 1x1 shortcut with stride
      geometry(1, 2, 5, 4, {2, 2}, {3, 3}, {3, 2}, {1, 1}),  // padding beyond the kernel
      geometry(2, 1, 7, 6, {3, 3}, {1, 1}, {2, 2}, {2, 2}),  // dilated
      geometry(2, 2, 6, 6, {3, 3}, {1, 1}, {0, 0}, {1, 1}),  // narrower rows: gathers both ways
      geometry(2, 3, 2, 2, {3, 3}, {1, 1}, {1, 1}, {1, 1}),  // 2x2, across the samples
      geometry(3, 2, 4, 4, {3, 3}, {1, 1}, {1, 1}, {1, 1}),  // 4x4: masked adds both ways
      // Shifted taps whose reads reach furthest into the zero margins (lower_shifted).
      geometry(2, 2, 3, 3, {5, 5}, {1, 1}, {2, 2}, {1, 1}),
      geometry(2, 1, 1, 8, {1, 3}, {1, 1}, {0, 1}, {1, 1}),
      // Strided windows read through their phase planes (shifted copies there).
      geometry(2, 2, 7, 7, {1, 1}, {2, 2}, {0, 0}, {1, 1}),  // a ResNet 1x1/2 shortcut
      geometry(1, 2, 8, 8, {3, 3}, {2, 2}, {1, 1}, {1, 1}),  // an even plane
      geometry(2, 1, 9, 8, {3, 3}, {3, 2}, {1, 1}, {1, 1}),  // strides 3 and 2
      geometry(1, 2, 7, 8, {3, 3}, {2, 2}, {2, 2}, {2, 2}),  // dilated and strided
      geometry(2, 2, 3, 3, {2, 2}, {1, 1}, {0, 0}, {1, 1}),  // 3x3 to 2x2
      geometry(3, 2, 1, 3, {3, 3}, {1, 1}, {1, 1}, {1, 1}),  // tiny planes: col2im per sample
      geometry(2, 3, 1, 1, {2, 2}, {1, 1}, {1, 1}, {1, 1}),  // 1x1 to 2x2: shuffles of one float
      geometry(2, 3, 2, 2, {3, 3}, {2, 2}, {1, 1}, {1, 1}),  // tiny, strided to 1x1
      // 2x2 outputs from planes of 5-16 floats, shuffled from two vectors: a ResNet layer3's
      // 3x3/2 and 1x1/2 on 4x4, and a 3x4 plane (copied element by element).
      geometry(2, 3, 4, 4, {3, 3}, {2, 2}, {1, 1}, {1, 1}),
      geometry(2, 2, 4, 4, {1, 1}, {2, 2}, {0, 0}, {1, 1}),
      geometry(2, 2, 3, 4, {2, 3}, {2, 2}, {1, 1}, {1, 1}),
      // Large planes: the general path, its same-rows copies and strided rows.
      geometry(2, 2, 9, 8, {3, 3}, {1, 1}, {1, 1}, {1, 1}),
      // Stride 1 with output rows narrower than the input's: rows of 9 and of 28 floats.
      geometry(2, 2, 12, 11, {3, 3}, {1, 1}, {0, 0}, {1, 1}),
      geometry(1, 1, 10, 30, {3, 5}, {1, 1}, {0, 1}, {1, 1}),
      // Strided, through the phase planes (as wide as the output): a ResNet conv1; an odd
      // plane (the last phase row and column shorter); strides 3 with dilated rows.
      geometry(2, 1, 28, 28, {7, 7}, {2, 2}, {3, 3}, {1, 1}),
      geometry(2, 2, 29, 29, {7, 7}, {2, 2}, {3, 3}, {1, 1}),
      geometry(1, 2, 30, 27, {5, 3}, {3, 3}, {2, 1}, {2, 1}),
      geometry(1, 2, 30, 30, {3, 3}, {2, 2}, {40, 40}, {40, 40}),  // edge taps read only padding
      geometry(1, 2, 20, 19, {3, 2}, {2, 1}, {2, 4}, {2, 1}),
      geometry(1, 1, 12, 12, {5, 3}, {1, 1}, {4, 1}, {1, 1}),
  };
  for (size_t k = 0; k < cases.size(); ++k) {
    const WindowGeometry &g = cases[k];
    INFO("case " << k << ": output " << g.oh << "x" << g.ow);
    const std::vector<float> input = random_values(g.n * g.c * g.h * g.w, 100 + k);
    std::vector<float> col(static_cast<size_t>(g.col_rows() * g.col_cols()), 7.0f);
    im2col(g, input.data(), col.data());
    std::vector<float> expected_col(col.size());
    for_each_entry(g, [&](int64_t column, int64_t at) {
      expected_col[static_cast<size_t>(column)] = at < 0 ? 0.0f : input[static_cast<size_t>(at)];
    });
    CHECK(std::memcmp(col.data(), expected_col.data(), col.size() * sizeof(float)) == 0);

    const std::vector<float> grad_col = random_values(g.col_rows() * g.col_cols(), 200 + k);
    std::vector<float> grad(input.size(), 7.0f), expected(input.size(), 0.0f);
    col2im(g, grad_col.data(), grad.data());
    for_each_entry(g, [&](int64_t column, int64_t at) {
      if (at >= 0) expected[static_cast<size_t>(at)] += grad_col[static_cast<size_t>(column)];
    });
    CHECK(std::memcmp(grad.data(), expected.data(), grad.size() * sizeof(float)) == 0);
  }
}

TEST_CASE("a kernel's taps that read only padding are left out of the lowering exactly") {
  struct Case {
    WindowGeometry g;
    TapRectangle expected;
  };
  const std::vector<Case> cases = {
      // 1x1 plane, 3x3 padding 1: the centre tap alone (a ResNet's layer4 on 28x28 images).
      {geometry(3, 4, 1, 1, {3, 3}, {1, 1}, {1, 1}, {1, 1}), {1, 2, 1, 2}},
      // 2x2 to 1x1 with stride 2: the four taps over the input.
      {geometry(2, 3, 2, 2, {3, 3}, {2, 2}, {1, 1}, {1, 1}), {1, 3, 1, 3}},
      // Dilated on a 1x3 plane: one kernel row, every column.
      {geometry(2, 2, 1, 3, {3, 3}, {1, 1}, {2, 2}, {2, 2}), {1, 2, 0, 3}},
      // Stride 3 on a 1-row plane with padding 2: rows 2 and 3 of a 4-row kernel.
      {geometry(2, 1, 1, 5, {4, 2}, {3, 1}, {2, 0}, {1, 1}), {2, 3, 0, 2}},
      // Every tap reads the input somewhere: nothing to trim.
      {geometry(2, 2, 7, 7, {3, 3}, {1, 1}, {1, 1}, {1, 1}), {0, 3, 0, 3}},
      {geometry(2, 2, 2, 2, {3, 3}, {1, 1}, {1, 1}, {1, 1}), {0, 3, 0, 3}},
  };
  for (size_t k = 0; k < cases.size(); ++k) {
    const WindowGeometry &g = cases[k].g;
    INFO("case " << k);
    // Against the definition: a tap is active when one of its entries reads the input.
    std::vector<bool> reads(static_cast<size_t>(g.kh * g.kw), false);
    const int64_t cols = g.col_cols();
    for_each_entry(g, [&](int64_t column, int64_t at) {
      if (at >= 0) reads[static_cast<size_t>((column / cols) % (g.kh * g.kw))] = true;
    });
    const TapRectangle r = active_taps(g);
    CHECK(r.i_lo == cases[k].expected.i_lo);
    CHECK(r.i_hi == cases[k].expected.i_hi);
    CHECK(r.j_lo == cases[k].expected.j_lo);
    CHECK(r.j_hi == cases[k].expected.j_hi);
    for (int64_t tap = 0; tap < g.kh * g.kw; ++tap) {
      const int64_t i = tap / g.kw, j = tap % g.kw;
      const bool inside = i >= r.i_lo && i < r.i_hi && j >= r.j_lo && j < r.j_hi;
      CHECK(reads[static_cast<size_t>(tap)] == inside);
    }
    CHECK(trims_taps(g, r) == (r.taps() < g.kh * g.kw));
    if (!trims_taps(g, r)) continue;

    // im2col of the trimmed geometry: the full columns' rows of the active taps, bit for bit.
    const WindowGeometry t = trim_to_active_taps(g, r);
    CHECK(t.oh == g.oh);
    CHECK(t.ow == g.ow);
    const std::vector<float> input = random_values(g.n * g.c * g.h * g.w, 300 + k);
    std::vector<float> full(static_cast<size_t>(g.col_rows() * cols));
    std::vector<float> trimmed(static_cast<size_t>(t.col_rows() * cols), 7.0f);
    im2col(g, input.data(), full.data());
    im2col(t, input.data(), trimmed.data());
    std::vector<float> full_grad_col = random_values(g.col_rows() * cols, 400 + k);
    std::vector<float> trimmed_grad_col(trimmed.size());
    for (int64_t c = 0; c < g.c; ++c) {
      for (int64_t i = 0; i < t.kh; ++i) {
        for (int64_t j = 0; j < t.kw; ++j) {
          const int64_t from = (c * g.kh + r.i_lo + i) * g.kw + r.j_lo + j;
          const int64_t to = (c * t.kh + i) * t.kw + j;
          CHECK(std::memcmp(&trimmed[static_cast<size_t>(to * cols)],
                            &full[static_cast<size_t>(from * cols)], cols * sizeof(float)) == 0);
          std::memcpy(&trimmed_grad_col[static_cast<size_t>(to * cols)],
                      &full_grad_col[static_cast<size_t>(from * cols)], cols * sizeof(float));
        }
      }
    }
    // col2im of the trimmed geometry: the full one's, whatever the rows left out hold.
    std::vector<float> grad(input.size(), 7.0f), expected(input.size(), 7.0f);
    col2im(g, full_grad_col.data(), expected.data());
    col2im(t, trimmed_grad_col.data(), grad.data());
    CHECK(std::memcmp(grad.data(), expected.data(), grad.size() * sizeof(float)) == 0);
  }
}
