#include "layers/activations.h"

#include <cmath>

#include "layers/layer_config.h"
#include "parallel/batch_split.h"
#include "util/vector_clones.h"

namespace nnstate {
namespace {

constexpr double kSqrt2OverPi = 0.7978845608028654;  // sqrt(2 / pi)
constexpr double kInvSqrt2 = 0.7071067811865476;     // 1 / sqrt(2)
constexpr double kInvSqrt2Pi = 0.3989422804014327;   // 1 / sqrt(2 pi)
constexpr double kGeluCubic = 0.044715;

// PyTorch's relu: only values below 0 become 0, so NaN and -0 pass unchanged (a NaN must reach
// the loss, where divergence rollback looks for it).
NNSTATE_VECTOR_CLONES void relu_loop(const float *x, float *y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] < 0.0f ? 0.0f : x[i];
}

// PyTorch's threshold_backward on the output: the gradient is 0 where y <= 0 (so at exactly 0)
// and passes elsewhere, NaN outputs included. dy is loaded unconditionally so that the select
// vectorises (a conditional load does not).
NNSTATE_VECTOR_CLONES void relu_gradient_loop(const float *y, const float *dy, float *dx,
                                              int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = dy[i];
    dx[i] = y[i] <= 0.0f ? 0.0f : g;
  }
}

}  // namespace

// Element-wise, so split over the layer's threads with the same bits at any count.
void Activation::forward(const Tensor &input, Tensor &output, const RunContext &) {
  const float *x = input.data();
  float *y = output.data();
  for_each_range(input.numel(), kMinItemsPerThread,
                 [&](int64_t begin, int64_t end) { apply(x + begin, y + begin, end - begin); });
}

void Activation::backward(const Tensor &input, const Tensor &output, const Tensor &grad_output,
                          Tensor *grad_input) {
  if (!grad_input) return;
  const float *x = input.data(), *y = output.data(), *dy = grad_output.data();
  float *dx = grad_input->data();
  for_each_range(input.numel(), kMinItemsPerThread, [&](int64_t begin, int64_t end) {
    apply_gradient(x + begin, y + begin, dy + begin, dx + begin, end - begin);
  });
}

LayerConfig ReLU::config() const {
  return LayerConfig(LayerKind::relu);
}

void ReLU::apply(const float *x, float *y, int64_t n) const {
  relu_loop(x, y, n);
}

void ReLU::apply_gradient(const float *, const float *y, const float *dy, float *dx,
                          int64_t n) const {
  relu_gradient_loop(y, dy, dx, n);
}

LayerConfig LeakyReLU::config() const {
  LeakyReLUConfig c;
  c.negative_slope = negative_slope_;
  return LayerConfig(LayerKind::leaky_relu, c);
}

void LeakyReLU::apply(const float *x, float *y, int64_t n) const {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0.0f ? x[i] : x[i] * negative_slope_;
}

void LeakyReLU::apply_gradient(const float *x, const float *, const float *dy, float *dx,
                               int64_t n) const {
  for (int64_t i = 0; i < n; ++i) dx[i] = x[i] > 0.0f ? dy[i] : dy[i] * negative_slope_;
}

LayerConfig Tanh::config() const {
  return LayerConfig(LayerKind::tanh);
}

void Tanh::apply(const float *x, float *y, int64_t n) const {
  for (int64_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}

void Tanh::apply_gradient(const float *, const float *y, const float *dy, float *dx,
                          int64_t n) const {
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}

LayerConfig Sigmoid::config() const {
  return LayerConfig(LayerKind::sigmoid);
}

void Sigmoid::apply(const float *x, float *y, int64_t n) const {
  for (int64_t i = 0; i < n; ++i) y[i] = 1.0f / (1.0f + std::exp(-x[i]));
}

void Sigmoid::apply_gradient(const float *, const float *y, const float *dy, float *dx,
                             int64_t n) const {
  for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
}

LayerConfig GELU::config() const {
  GELUConfig c;
  c.tanh_approximation = tanh_approximation_;
  return LayerConfig(LayerKind::gelu, c);
}

void GELU::apply(const float *x, float *y, int64_t n) const {
  for (int64_t i = 0; i < n; ++i) {
    double v = x[i];
    double cdf = tanh_approximation_
                     ? 0.5 * (1.0 + std::tanh(kSqrt2OverPi * (v + kGeluCubic * v * v * v)))
                     : 0.5 * (1.0 + std::erf(v * kInvSqrt2));
    y[i] = static_cast<float>(v * cdf);
  }
}

void GELU::apply_gradient(const float *x, const float *, const float *dy, float *dx,
                          int64_t n) const {
  for (int64_t i = 0; i < n; ++i) {
    double v = x[i], derivative;
    if (tanh_approximation_) {
      double inner = kSqrt2OverPi * (v + kGeluCubic * v * v * v);
      double t = std::tanh(inner);
      double inner_derivative = kSqrt2OverPi * (1.0 + 3.0 * kGeluCubic * v * v);
      derivative = 0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * inner_derivative;
    } else {
      double cdf = 0.5 * (1.0 + std::erf(v * kInvSqrt2));
      double pdf = kInvSqrt2Pi * std::exp(-0.5 * v * v);
      derivative = cdf + v * pdf;
    }
    dx[i] = static_cast<float>(dy[i] * derivative);
  }
}

}  // namespace nnstate
