#include "layers/adaptive_avg_pool2d.h"

#include <climits>

#include "layers/layer_config.h"
#include "layers/reduce.h"
#include "util/error.h"

namespace nnstate {
namespace {

// Input rows (or columns) [lo, hi) of output index i among `out` over an input extent `in`:
// PyTorch's start_index floor(i in / out) and end_index ceil((i + 1) in / out), in 128 bits
// because in * out may exceed int64.
struct Window {
  int64_t lo, hi;
};

Window window(int64_t i, int64_t out, int64_t in) {
  const __int128 lo = static_cast<__int128>(i) * in / out;
  const __int128 hi = (static_cast<__int128>(i + 1) * in + out - 1) / out;
  return {static_cast<int64_t>(lo), static_cast<int64_t>(hi)};
}

}  // namespace

AdaptiveAvgPool2d::AdaptiveAvgPool2d(const AdaptiveAvgPool2dConfig &c)
    : output_size_(c.output_size) {
  const auto in_range = [](int64_t v) { return v >= 1 && v <= INT_MAX; };
  if (!in_range(output_size_.h) || !in_range(output_size_.w)) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT,
         describe() + ": output_size must be in [1, 2^31 - 1] in both dims");
  }
}

LayerConfig AdaptiveAvgPool2d::config() const {
  AdaptiveAvgPool2dConfig c;
  c.output_size = output_size_;
  return LayerConfig(LayerKind::adaptive_avg_pool2d, c);
}

std::string AdaptiveAvgPool2d::describe() const {
  return "AdaptiveAvgPool2d(output_size=" + output_size_.to_string() + ")";
}

Shape AdaptiveAvgPool2d::output_shape(const Shape &input) const {
  if (input.rank != 4 || input[2] < 1 || input[3] < 1) {
    fail(NNSTATE_ERR_SHAPE_MISMATCH,
         describe() + " expects input [N, C, H, W] with H, W >= 1, got " + input.to_string());
  }
  return Shape{input[0], input[1], output_size_.h, output_size_.w};
}

namespace {

// Windows depend on the output position only: f(y, x, rows, cols, count) once per position, not
// per plane (their 128-bit divisions took 2% of a ResNet step, 16k planes of one element each).
// Each output, and each input gradient's sum in (y, x) order, is the same whatever the loop order.
template <class F>
void for_each_window(int64_t h, int64_t w, const Size2 &out, F &&f) {
  for (int64_t y = 0; y < out.h; ++y) {
    const Window rows = window(y, out.h, h);
    for (int64_t x = 0; x < out.w; ++x) {
      const Window cols = window(x, out.w, w);
      f(y, x, rows, cols, static_cast<double>((rows.hi - rows.lo) * (cols.hi - cols.lo)));
    }
  }
}

}  // namespace

void AdaptiveAvgPool2d::forward(const Tensor &input, Tensor &output, const RunContext &) {
  const Shape &s = input.shape();
  const int64_t h = s[2], w = s[3], planes = s[0] * s[1],
                out_plane = output_size_.h * output_size_.w;
  for_each_window(
      h, w, output_size_, [&](int64_t y, int64_t x, Window rows, Window cols, double count) {
        for (int64_t p = 0; p < planes; ++p) {
          const float *src = input.data() + p * h * w;
          double sum = 0.0;  // each window row is contiguous: global pooling sums whole rows
          for (int64_t i = rows.lo; i < rows.hi; ++i) {
            sum += sum_of(src + i * w + cols.lo, cols.hi - cols.lo);
          }
          output.data()[p * out_plane + y * output_size_.w + x] = static_cast<float>(sum / count);
        }
      });
}

void AdaptiveAvgPool2d::backward(const Tensor &input, const Tensor &, const Tensor &grad_output,
                                 Tensor *grad_input) {
  if (!grad_input) return;
  const Shape &s = input.shape();
  const int64_t h = s[2], w = s[3], planes = s[0] * s[1],
                out_plane = output_size_.h * output_size_.w;
  grad_input->zero();
  for_each_window(h, w, output_size_,
                  [&](int64_t y, int64_t x, Window rows, Window cols, double count) {
                    for (int64_t p = 0; p < planes; ++p) {
                      const float dy = grad_output.data()[p * out_plane + y * output_size_.w + x];
                      const float share = static_cast<float>(dy / count);
                      float *dx = grad_input->data() + p * h * w;
                      for (int64_t i = rows.lo; i < rows.hi; ++i) {
                        for (int64_t j = cols.lo; j < cols.hi; ++j) dx[i * w + j] += share;
                      }
                    }
                  });
}

}  // namespace nnstate
