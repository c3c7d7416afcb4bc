#include "layers/avg_pool2d.h"

#include <algorithm>
#include <climits>

#include "layers/layer_config.h"
#include "layers/pool_window.h"
#include "util/error.h"

namespace nnstate {
namespace {

// The part [lo, hi) of a window starting at `start` (padded coordinates shifted to input
// ones) that lies inside an input extent of `size`.
struct Span {
  int64_t lo, hi;
};

Span clip(int64_t start, int64_t kernel, int64_t size) {
  const int64_t lo = std::max<int64_t>(start, 0), hi = std::min(start + kernel, size);
  return {lo, std::max(lo, hi)};
}

// With ceil_mode=False and padding <= kernel / 2 a window never reaches past the padding, so
// counting the padding always gives kh * kw.
double divisor(const WindowGeometry &g, Span rows, Span cols, bool count_include_pad) {
  const int64_t n = count_include_pad ? g.kh * g.kw : (rows.hi - rows.lo) * (cols.hi - cols.lo);
  return static_cast<double>(n);
}

}  // namespace

AvgPool2d::AvgPool2d(const AvgPool2dConfig &c) : config_(c) {
  config_.stride = pool_stride(c.kernel_size, c.stride);
  const std::string problem = pool_window_problem(c.kernel_size, config_.stride, c.padding);
  if (!problem.empty()) fail(NNSTATE_ERR_INVALID_ARGUMENT, describe() + ": " + problem);
}

LayerConfig AvgPool2d::config() const {
  return LayerConfig(LayerKind::avg_pool2d, config_);
}

WindowGeometry AvgPool2d::geometry(const Shape &input) const {
  return window_geometry(input, config_.kernel_size, config_.stride, config_.padding, Size2{1, 1});
}

std::string AvgPool2d::describe() const {
  std::string s = "AvgPool2d(kernel_size=" + config_.kernel_size.to_string() +
                  ", stride=" + config_.stride.to_string() +
                  ", padding=" + config_.padding.to_string();
  if (!config_.count_include_pad) s += ", count_include_pad=False";
  return s + ")";
}

Shape AvgPool2d::output_shape(const Shape &input) const {
  if (input.rank != 4) {
    fail(NNSTATE_ERR_SHAPE_MISMATCH,
         describe() + " expects input [N, C, H, W], got " + input.to_string());
  }
  const WindowGeometry g = geometry(input);
  if (g.oh <= 0 || g.ow <= 0) {
    fail(NNSTATE_ERR_SHAPE_MISMATCH,
         describe() + ": input " + input.to_string() + " is smaller than the kernel after padding");
  }
  return Shape{g.n, g.c, g.oh, g.ow};
}

// Each window's elements are summed in double in row-major order and divided once.
void AvgPool2d::forward(const Tensor &input, Tensor &output, const RunContext &) {
  const WindowGeometry g = geometry(input.shape());
  const int64_t plane = g.h * g.w, out_plane = g.oh * g.ow;
  for (int64_t p = 0; p < g.n * g.c; ++p) {
    const float *src = input.data() + p * plane;
    float *dst = output.data() + p * out_plane;
    for (int64_t y = 0; y < g.oh; ++y) {
      const Span rows = clip(y * g.sh - g.ph, g.kh, g.h);
      for (int64_t x = 0; x < g.ow; ++x) {
        const Span cols = clip(x * g.sw - g.pw, g.kw, g.w);
        double sum = 0.0;
        for (int64_t i = rows.lo; i < rows.hi; ++i) {
          for (int64_t j = cols.lo; j < cols.hi; ++j) sum += src[i * g.w + j];
        }
        const double count = divisor(g, rows, cols, config_.count_include_pad);
        dst[y * g.ow + x] = static_cast<float>(sum / count);
      }
    }
  }
}

void AvgPool2d::backward(const Tensor &input, const Tensor &, const Tensor &grad_output,
                         Tensor *grad_input) {
  if (!grad_input) return;
  const WindowGeometry g = geometry(input.shape());
  const int64_t plane = g.h * g.w, out_plane = g.oh * g.ow;
  grad_input->zero();
  for (int64_t p = 0; p < g.n * g.c; ++p) {
    const float *dy = grad_output.data() + p * out_plane;
    float *dx = grad_input->data() + p * plane;
    for (int64_t y = 0; y < g.oh; ++y) {
      const Span rows = clip(y * g.sh - g.ph, g.kh, g.h);
      for (int64_t x = 0; x < g.ow; ++x) {
        const Span cols = clip(x * g.sw - g.pw, g.kw, g.w);
        const double count = divisor(g, rows, cols, config_.count_include_pad);
        const float share = static_cast<float>(dy[y * g.ow + x] / count);
        for (int64_t i = rows.lo; i < rows.hi; ++i) {
          for (int64_t j = cols.lo; j < cols.hi; ++j) dx[i * g.w + j] += share;
        }
      }
    }
  }
}

}  // namespace nnstate
