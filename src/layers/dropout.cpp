#include "layers/dropout.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "layers/dropout_stream.h"
#include "layers/layer_config.h"
#include "random/rng.h"
#include "util/error.h"

namespace nnstate {

Dropout::Dropout(double p) : p_(p) {
  if (!(p >= 0.0 && p < 1.0)) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT, "Dropout p must be in [0, 1), got " + std::to_string(p));
  }
}

LayerConfig Dropout::config() const {
  DropoutConfig c;
  c.p = p_;
  return LayerConfig(LayerKind::dropout, c);
}

void Dropout::forward(const Tensor &input, Tensor &output, const RunContext &context) {
  mask_active_ = context.training && p_ > 0.0;
  if (!mask_active_) {
    std::memcpy(output.data(), input.data(), input.byte_size());
    return;
  }
  if (!context.dropout_rng) {
    fail(NNSTATE_ERR_STATE, "Dropout in training needs the dropout random stream");
  }
  const int64_t batch = input.shape()[0];
  Rng rng = dropout_draws(context, batch, batch ? input.numel() / batch : 0);
  // Rng::uniform() is (u32 >> 8) / 2^24, so "uniform() < p" is "(u32 >> 8) < ceil(p 2^24)":
  // the same draw, compared in integers.
  const uint32_t threshold = static_cast<uint32_t>(std::ceil(p_ * 16777216.0));
  const float scale = static_cast<float>(1.0 / (1.0 - p_));
  const int64_t count = input.numel();
  mask_.resize(input.shape());
  float *mask = mask_.data();
  const float *x = input.data();
  float *y = output.data();
  // The words a piece at a time (Rng::fill_u32 computes blocks several at once).
  uint32_t words[1024];
  for (int64_t begin = 0; begin < count; begin += 1024) {
    const int64_t n = std::min<int64_t>(1024, count - begin);
    rng.fill_u32(words, n);
    for (int64_t i = 0; i < n; ++i) {
      const float m = (words[i] >> 8) < threshold ? 0.0f : scale;
      mask[begin + i] = m;
      y[begin + i] = x[begin + i] * m;
    }
  }
}

void Dropout::backward(const Tensor &, const Tensor &, const Tensor &grad_output,
                       Tensor *grad_input) {
  if (!grad_input) return;
  if (!mask_active_) {
    std::memcpy(grad_input->data(), grad_output.data(), grad_output.byte_size());
    return;
  }
  const float *mask = mask_.data();
  const float *dy = grad_output.data();
  float *dx = grad_input->data();
  for (int64_t i = 0; i < grad_output.numel(); ++i) dx[i] = dy[i] * mask[i];
}

}  // namespace nnstate
