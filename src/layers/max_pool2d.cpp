#include "layers/max_pool2d.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstring>
#include <limits>

#include "layers/layer_config.h"
#include "layers/max_pool_2x2.h"
#include "layers/pool_window.h"
#include "layers/tap_table.h"
#include "layers/window_ranges.h"
#include "parallel/batch_split.h"
#include "util/error.h"
#include "util/vector_clones.h"

namespace nnstate {
namespace {

// Kernel offsets k in [lo, hi) whose input coordinate start + k * dilation lies in [0, size).
// Runs once per output element, so the common dilation 1 avoids the divisions.
void valid_taps(int64_t start, int64_t size, int64_t kernel, int64_t dilation, int64_t &lo,
                int64_t &hi) {
  if (dilation == 1) {
    hi = std::max<int64_t>(0, std::min(kernel, size - start));
    lo = std::min(hi, std::max<int64_t>(0, -start));
    return;
  }
  hi = std::min(kernel, ceil_div_clamped(size - start, dilation));
  lo = std::min(hi, ceil_div_clamped(-start, dilation));
}

}  // namespace

MaxPool2d::MaxPool2d(const MaxPool2dConfig &c) : config_(c) {
  config_.stride = pool_stride(c.kernel_size, c.stride);
  std::string problem = pool_window_problem(c.kernel_size, config_.stride, c.padding);
  const auto positive = [](int64_t v) { return v >= 1 && v <= INT_MAX; };
  if (problem.empty() && (!positive(c.dilation.h) || !positive(c.dilation.w))) {
    problem = "dilation must be positive";
  }
  if (!problem.empty()) fail(NNSTATE_ERR_INVALID_ARGUMENT, describe() + ": " + problem);
}

LayerConfig MaxPool2d::config() const {
  return LayerConfig(LayerKind::max_pool2d, config_);
}

std::string MaxPool2d::describe() const {
  std::string s = "MaxPool2d(kernel_size=" + config_.kernel_size.to_string() +
                  ", stride=" + config_.stride.to_string() +
                  ", padding=" + config_.padding.to_string();
  if (config_.dilation != Size2{1, 1}) s += ", dilation=" + config_.dilation.to_string();
  return s + ")";
}

WindowGeometry MaxPool2d::geometry(const Shape &input) const {
  return window_geometry(input, config_.kernel_size, config_.stride, config_.padding,
                         config_.dilation);
}

Shape MaxPool2d::output_shape(const Shape &input) const {
  if (input.rank != 4) {
    fail(NNSTATE_ERR_SHAPE_MISMATCH,
         describe() + " expects input [N, C, H, W], got " + input.to_string());
  }
  const WindowGeometry g = geometry(input);
  if (g.oh <= 0 || g.ow <= 0) {
    fail(NNSTATE_ERR_SHAPE_MISMATCH, describe() + ": input " + input.to_string() +
                                         " is smaller than the dilated kernel after padding");
  }
  if (g.h * g.w > INT_MAX) {
    fail(NNSTATE_ERR_SHAPE_MISMATCH,
         describe() + ": input planes of " + input.to_string() + " exceed 2^31 - 1 elements");
  }
  return Shape{g.n, g.c, g.oh, g.ow};
}

namespace {

// One kernel tap over output columns [x_lo, x_hi), reading in[x * stride + offset]: the same
// comparison per window as a window-by-window scan, but branch-free and vectorisable (which element
// wins is unpredictable, so branches would mispredict). A compile-time stride (1 or 2, the common
// ones) lets the compiler vectorise the strided loads; 0 means the runtime `stride`.
template <int kStride>
void update_row(const float *__restrict in, int64_t offset, int64_t stride, int64_t x_lo,
                int64_t x_hi, float *__restrict best, int32_t *__restrict arg) {
  const int64_t s = kStride ? kStride : stride;
  const int32_t base = static_cast<int32_t>(offset);
  for (int64_t x = x_lo; x < x_hi; ++x) {
    const float v = in[x * s + offset];
    const bool wins = (v > best[x]) | (v != v);  // NaN wins, as in PyTorch
    best[x] = wins ? v : best[x];
    arg[x] = wins ? base + static_cast<int32_t>(x * s) : arg[x];
  }
}

// One kernel tap over a whole small output plane through its table (layers/tap_table.h), the
// same comparison as update_row; padding reads as -inf, which never wins.
NNSTATE_VECTOR_CLONES void update_plane(const TapTable &t, int64_t tap, const float *__restrict in,
                                        float *__restrict best, int32_t *__restrict arg) {
  const int32_t *index = t.index + tap * t.size;
  const uint32_t *keep = t.keep + tap * t.size;
  const uint32_t minus_inf = 0xff800000u;
  for (int64_t e = 0; e < t.size; ++e) {
    // Padding entries read element 0 and become -inf: a select without a branch.
    uint32_t bits;
    std::memcpy(&bits, &in[index[e]], sizeof bits);
    bits = (bits & keep[e]) | (minus_inf & ~keep[e]);
    float v;
    std::memcpy(&v, &bits, sizeof v);
    const bool wins = (v > best[e]) | (v != v);
    best[e] = wins ? v : best[e];
    arg[e] = wins ? index[e] : arg[e];
  }
}

bool is_plain_2x2(const WindowGeometry &g) {
  return g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0 && g.dh == 1 &&
         g.dw == 1;
}

}  // namespace

void MaxPool2d::forward(const Tensor &input, Tensor &output, const RunContext &) {
  const WindowGeometry g = geometry(input.shape());
  const int64_t planes = g.n * g.c;
  argmax_.resize(static_cast<size_t>(planes * g.oh * g.ow));
  // Planes are independent: split over the layer's threads, the same bits at any count.
  for_each_range(planes, min_items_for(g.h * g.w), [&](int64_t begin, int64_t end) {
    forward_planes(g, input.data(), output.data(), begin, end);
  });
}

void MaxPool2d::forward_planes(const WindowGeometry &g, const float *input, float *output,
                               int64_t begin, int64_t end) {
  const int64_t plane = g.h * g.w, out_plane = g.oh * g.ow;
  if (is_plain_2x2(g)) {
    // output_shape keeps a plane within int32; rows 2y and 2y + 1 < h for every y < oh.
    for (int64_t p = begin; p < end; ++p) {
      const float *src = input + p * plane;
      for (int64_t y = 0; y < g.oh; ++y) {
        const int64_t row0 = 2 * y * g.w;
        pool_2x2_row(src + row0, src + row0 + g.w, static_cast<int32_t>(row0),
                     static_cast<int32_t>(g.w), g.ow, output + p * out_plane + y * g.ow,
                     argmax_.data() + p * out_plane + y * g.ow);
      }
    }
    return;
  }
  if (fits_tap_table(g)) {
    // Small output planes (the ResNet's 3x3/2 pool to 7x7): a row of a few windows per call of
    // update_row cost more than its work, so every tap runs over the whole plane.
    TapTable t;
    build_lowering_table(g, t);
    // Each window starts from its first element inside the input, as below.
    int32_t first[kTapTableMaxOutputs];
    for (int64_t e = 0; e < t.size; ++e) {
      int64_t tap = 0;
      while (tap + 1 < t.taps && !t.keep[tap * t.size + e]) ++tap;
      first[e] = t.index[tap * t.size + e];
    }
    for (int64_t p = begin; p < end; ++p) {
      float *best = output + p * out_plane;
      int32_t *arg = argmax_.data() + p * out_plane;
      std::fill(best, best + out_plane, -std::numeric_limits<float>::infinity());
      std::copy(first, first + out_plane, arg);
      for (int64_t tap = 0; tap < t.taps; ++tap) update_plane(t, tap, input + p * plane, best, arg);
    }
    return;
  }
  auto update = g.sw == 1 ? update_row<1> : g.sw == 2 ? update_row<2> : update_row<0>;
  for (int64_t p = begin; p < end; ++p) {
    const float *src = input + p * plane;
    for (int64_t y = 0; y < g.oh; ++y) {
      float *best = output + p * out_plane + y * g.ow;
      int32_t *arg = argmax_.data() + p * out_plane + y * g.ow;
      const int64_t y0 = y * g.sh - g.ph;
      int64_t i_lo, i_hi;
      valid_taps(y0, g.h, g.kh, g.dh, i_lo, i_hi);
      // Padding is -inf: start from the window's first element inside the input, as PyTorch
      // does (it stays the answer when every element is -inf).
      const int64_t first_row = (y0 + i_lo * g.dh) * g.w;
      if (g.pw == 0) {
        for (int64_t x = 0; x < g.ow; ++x) {
          best[x] = -std::numeric_limits<float>::infinity();
          arg[x] = static_cast<int32_t>(first_row + x * g.sw);
        }
      } else {
        for (int64_t x = 0; x < g.ow; ++x) {
          int64_t j_lo, j_hi;
          valid_taps(x * g.sw - g.pw, g.w, g.kw, g.dw, j_lo, j_hi);
          best[x] = -std::numeric_limits<float>::infinity();
          arg[x] = static_cast<int32_t>(first_row + x * g.sw - g.pw + j_lo * g.dw);
        }
      }
      // Taps in row-major order, each over the whole output row.
      for (int64_t i = i_lo; i < i_hi; ++i) {
        const int64_t row = (y0 + i * g.dh) * g.w;
        for (int64_t j = 0; j < g.kw; ++j) {
          const int64_t offset = j * g.dw - g.pw;
          const int64_t x_hi = std::min(g.ow, ceil_div_clamped(g.w - offset, g.sw));
          const int64_t x_lo = std::min(x_hi, ceil_div_clamped(-offset, g.sw));
          // x * sw + row + offset stays inside the plane for x in [x_lo, x_hi).
          update(src, row + offset, g.sw, x_lo, x_hi, best, arg);
        }
      }
    }
  }
}

void MaxPool2d::backward(const Tensor &input, const Tensor &, const Tensor &grad_output,
                         Tensor *grad_input) {
  if (!grad_input) return;
  const WindowGeometry g = geometry(input.shape());
  const int64_t plane = g.h * g.w, out_plane = g.oh * g.ow;
  const float *dy_all = grad_output.data();
  float *dx_all = grad_input->data();
  const bool tiled = is_plain_2x2(g) && g.h % 2 == 0 && g.w % 2 == 0;
  for_each_range(g.n * g.c, min_items_for(plane), [&](int64_t begin, int64_t end) {
    if (tiled) {
      for (int64_t p = begin; p < end; ++p) {
        unpool_2x2_plane(dy_all + p * out_plane, argmax_.data() + p * out_plane, g.h, g.w,
                         dx_all + p * plane);
      }
      return;
    }
    std::fill(dx_all + begin * plane, dx_all + end * plane, 0.0f);
    for (int64_t p = begin; p < end; ++p) {
      const float *dy = dy_all + p * out_plane;
      const int32_t *arg = argmax_.data() + p * out_plane;
      float *dx = dx_all + p * plane;
      for (int64_t o = 0; o < out_plane; ++o) dx[arg[o]] += dy[o];
    }
  });
}

}  // namespace nnstate
