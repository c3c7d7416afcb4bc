#include "layers/softmax.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "layers/layer_config.h"
#include "util/error.h"

namespace nnstate {

Softmax::Softmax(int32_t dim, bool log) : dim_(dim), log_(log) {
  if (dim < -Shape::kMaxRank || dim >= Shape::kMaxRank) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, describe() + ": dim must be in [-4, 3]");
  }
}

LayerConfig Softmax::config() const {
  SoftmaxConfig c;
  c.dim = dim_;
  return LayerConfig(log_ ? LayerKind::log_softmax : LayerKind::softmax, c);
}

std::string Softmax::describe() const {
  return std::string(log_ ? "LogSoftmax" : "Softmax") + "(dim=" + std::to_string(dim_) + ")";
}

Shape Softmax::output_shape(const Shape &input) const {
  const int32_t d = dim_ < 0 ? dim_ + input.rank : dim_;
  if (d < 1 || d >= input.rank) {
    fail(NNSTATE_ERR_SHAPE_MISMATCH,
         describe() + " needs 1 <= dim < rank (dim 0 is the batch) on input " + input.to_string());
  }
  return input;
}

void Softmax::split(const Shape &shape, int64_t &outer, int64_t &extent, int64_t &inner) const {
  const int32_t d = dim_ < 0 ? dim_ + shape.rank : dim_;
  outer = inner = 1;
  for (int32_t i = 0; i < d; ++i) outer *= shape[i];
  extent = shape[d];
  for (int32_t i = d + 1; i < shape.rank; ++i) inner *= shape[i];
}

// Loops run along `inner` (contiguous) with `extent` outside, so a softmax over channels of
// [N, C, H, W] streams whole planes instead of striding.
void Softmax::forward(const Tensor &input, Tensor &output, const RunContext &) {
  int64_t outer, extent, inner;
  split(input.shape(), outer, extent, inner);
  max_.resize(static_cast<size_t>(inner));
  sum_.resize(static_cast<size_t>(inner));
  float *m = max_.data();
  double *s = sum_.data();
  for (int64_t o = 0; o < outer; ++o) {
    const float *x = input.data() + o * extent * inner;
    float *y = output.data() + o * extent * inner;
    std::fill(m, m + inner, -std::numeric_limits<float>::infinity());
    std::fill(s, s + inner, 0.0);
    for (int64_t k = 0; k < extent; ++k) {
      for (int64_t i = 0; i < inner; ++i) m[i] = std::max(m[i], x[k * inner + i]);
    }
    for (int64_t k = 0; k < extent; ++k) {
      for (int64_t i = 0; i < inner; ++i) {
        const float shifted = x[k * inner + i] - m[i];
        const float e = std::exp(shifted);
        s[i] += e;
        y[k * inner + i] = log_ ? shifted : e;
      }
    }
    for (int64_t k = 0; k < extent; ++k) {
      for (int64_t i = 0; i < inner; ++i) {
        float &v = y[k * inner + i];
        v = log_ ? static_cast<float>(v - std::log(s[i])) : static_cast<float>(v / s[i]);
      }
    }
  }
}

void Softmax::backward(const Tensor &, const Tensor &output, const Tensor &grad_output,
                       Tensor *grad_input) {
  if (!grad_input) return;
  int64_t outer, extent, inner;
  split(output.shape(), outer, extent, inner);
  sum_.resize(static_cast<size_t>(inner));
  double *s = sum_.data();
  for (int64_t o = 0; o < outer; ++o) {
    const float *y = output.data() + o * extent * inner;
    const float *dy = grad_output.data() + o * extent * inner;
    float *dx = grad_input->data() + o * extent * inner;
    std::fill(s, s + inner, 0.0);
    for (int64_t k = 0; k < extent; ++k) {
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t at = k * inner + i;
        s[i] += log_ ? static_cast<double>(dy[at]) : static_cast<double>(dy[at]) * y[at];
      }
    }
    for (int64_t k = 0; k < extent; ++k) {
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t at = k * inner + i;
        dx[at] = log_ ? static_cast<float>(dy[at] - std::exp(static_cast<double>(y[at])) * s[i])
                      : static_cast<float>(y[at] * (dy[at] - s[i]));
      }
    }
  }
}

}  // namespace nnstate
