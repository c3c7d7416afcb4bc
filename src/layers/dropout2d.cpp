#include "layers/dropout2d.h"

#include <cmath>
#include <cstring>

#include "layers/dropout_stream.h"
#include "layers/layer_config.h"
#include "random/rng.h"
#include "util/error.h"

namespace nnstate {
namespace {

// out[i] = in[i] * mask[i / plane]: the channel scale applied to every element of its plane.
void apply_mask(const float *in, const std::vector<float> &mask, int64_t plane, float *out) {
  for (size_t ch = 0; ch < mask.size(); ++ch) {
    const float m = mask[ch];
    const float *src = in + static_cast<int64_t>(ch) * plane;
    float *dst = out + static_cast<int64_t>(ch) * plane;
    for (int64_t i = 0; i < plane; ++i) dst[i] = src[i] * m;
  }
}

}  // namespace

Dropout2d::Dropout2d(double p) : p_(p) {
  if (!(p >= 0.0 && p < 1.0)) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, "Dropout2d p must be in [0, 1), got " + std::to_string(p));
  }
}

LayerConfig Dropout2d::config() const {
  DropoutConfig c;
  c.p = p_;
  return LayerConfig(LayerKind::dropout2d, c);
}

Shape Dropout2d::output_shape(const Shape &input) const {
  if (input.rank != 3 && input.rank != 4) {
    fail(NNSTATE_ERR_SHAPE_MISMATCH, "Dropout2d(p=" + std::to_string(p_) +
                                         ") expects input [N, C, H, W] or [N, C, L], got " +
                                         input.to_string());
  }
  return input;
}

void Dropout2d::forward(const Tensor &input, Tensor &output, const RunContext &context) {
  mask_active_ = context.training && p_ > 0.0;
  if (!mask_active_) {
    if (input.numel()) std::memcpy(output.data(), input.data(), input.byte_size());
    return;
  }
  if (!context.dropout_rng) {
    fail(NNSTATE_ERR_STATE, "Dropout2d in training needs the dropout random stream");
  }
  const Shape &s = input.shape();
  Rng rng = dropout_draws(context, s[0], s[1]);  // one draw per (sample, channel)
  const int64_t channels = s[0] * s[1], plane = channels ? input.numel() / channels : 0;
  // The same draw and integer comparison as Dropout: uniform() < p.
  const uint32_t threshold = static_cast<uint32_t>(std::ceil(p_ * 16777216.0));
  const float scale = static_cast<float>(1.0 / (1.0 - p_));
  mask_.resize(static_cast<size_t>(channels));
  for (float &m : mask_) m = (rng.next_u32() >> 8) < threshold ? 0.0f : scale;
  apply_mask(input.data(), mask_, plane, output.data());
}

void Dropout2d::backward(const Tensor &, const Tensor &, const Tensor &grad_output,
                         Tensor *grad_input) {
  if (!grad_input) return;
  if (!mask_active_) {
    if (grad_output.numel()) {
      std::memcpy(grad_input->data(), grad_output.data(), grad_output.byte_size());
    }
    return;
  }
  const int64_t channels = static_cast<int64_t>(mask_.size());
  const int64_t plane = channels ? grad_output.numel() / channels : 0;
  apply_mask(grad_output.data(), mask_, plane, grad_input->data());
}

}  // namespace nnstate
