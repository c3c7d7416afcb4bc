#include "layers/layer_norm.h"

#include <algorithm>
#include <climits>
#include <cmath>

#include "layers/layer_config.h"
#include "layers/layer_memory.h"
#include "layers/reduce.h"
#include "util/error.h"

namespace nnstate {

LayerNorm::LayerNorm(const LayerNormConfig &c)
    : normalized_shape_(c.normalized_shape), eps_(c.eps), affine_(c.affine), size_(0) {
  std::string problem;
  if (c.normalized_shape.rank < 1 || c.normalized_shape.rank >= Shape::kMaxRank) {
    problem = "normalized_shape must have 1 to 3 dims";
  } else if (!(c.eps >= 0.0) || !std::isfinite(c.eps)) {
    problem = "eps must be finite and not negative";
  } else {
    for (int d = 0; d < c.normalized_shape.rank; ++d) {
      if (c.normalized_shape[d] <= 0) problem = "normalized_shape dims must be positive";
    }
    if (problem.empty() && c.normalized_shape.numel() > INT_MAX) {
      problem = "normalized_shape has more than 2^31 - 1 elements";
    }
  }
  if (!problem.empty()) fail(NNSTATE_ERR_INVALID_ARGUMENT, describe() + ": " + problem);
  size_ = normalized_shape_.numel();
  // Per element with affine: weight, bias, their gradients and three work arrays.
  if (affine_) {
    check_layer_memory(describe(), {normalized_shape_},
                       4 * sizeof(float) + 2 * sizeof(double) + sizeof(float));
  }
  tensors(options()).allocate(*this);
  if (affine_) {
    weight_.fill(1.0f);
    weight_acc_.assign(static_cast<size_t>(size_), 0.0);
    g_.assign(static_cast<size_t>(size_), 0.0f);
    bias_acc_.assign(static_cast<size_t>(size_), 0.0);
  }
}

std::string LayerNorm::describe() const {
  return "LayerNorm(" + normalized_shape_.to_string() + ")";
}

LayerNormConfig LayerNorm::options() const {
  LayerNormConfig c;
  c.normalized_shape = normalized_shape_;
  c.eps = eps_;
  c.affine = affine_;
  return c;
}

LayerConfig LayerNorm::config() const {
  return LayerConfig(LayerKind::layer_norm, options());
}

Shape LayerNorm::output_shape(const Shape &input) const {
  const int lead = input.rank - normalized_shape_.rank;
  bool ok = lead >= 1;
  for (int d = 0; ok && d < normalized_shape_.rank; ++d) {
    ok = input[lead + d] == normalized_shape_[d];
  }
  if (!ok) {
    fail(NNSTATE_ERR_SHAPE_MISMATCH, describe() + " expects input [N, ..., " +
                                         normalized_shape_.to_string().substr(1) + ", got " +
                                         input.to_string());
  }
  return input;
}

void LayerNorm::forward(const Tensor &input, Tensor &output, const RunContext &) {
  const int64_t rows = input.numel() / size_;
  mean_.resize(static_cast<size_t>(rows));
  rstd_.resize(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    const float *x = input.data() + r * size_;
    float *y = output.data() + r * size_;
    // One pass in double, shifted by the first element against cancellation.
    const double shift = x[0];
    double s, s2;
    shifted_moments(x, size_, shift, s, s2);
    const double shifted_mean = s / size_;
    const double var = std::max(0.0, s2 / size_ - shifted_mean * shifted_mean);
    const float mean = static_cast<float>(shift + shifted_mean);
    const float rstd = static_cast<float>(1.0 / std::sqrt(var + eps_));
    mean_[r] = mean;
    rstd_[r] = rstd;
    if (affine_) {
      const float *w = weight_.data(), *b = bias_.data();
      for (int64_t i = 0; i < size_; ++i) y[i] = (x[i] - mean) * rstd * w[i] + b[i];
    } else {
      for (int64_t i = 0; i < size_; ++i) y[i] = (x[i] - mean) * rstd;
    }
  }
}

void LayerNorm::backward(const Tensor &input, const Tensor &, const Tensor &grad_output,
                         Tensor *grad_input) {
  const int64_t rows = input.numel() / size_;
  if (affine_) {
    std::fill(weight_acc_.begin(), weight_acc_.end(), 0.0);
    std::fill(bias_acc_.begin(), bias_acc_.end(), 0.0);
  }
  const float *w = affine_ ? weight_.data() : nullptr;
  for (int64_t r = 0; r < rows; ++r) {
    const float *x = input.data() + r * size_;
    const float *dy = grad_output.data() + r * size_;
    const float mean = mean_[r], rstd = rstd_[r];
    // With g = dy w and xhat = (x - mean) rstd: dx = rstd (g - mean(g) - xhat mean(g xhat)),
    // where sum g xhat = rstd sum (dy w) (x - mean).
    double sum_g, sum_g_centered;
    if (affine_) {
      float *g = g_.data();
      for (int64_t i = 0; i < size_; ++i) g[i] = dy[i] * w[i];
      gradient_moments(g, x, mean, size_, sum_g, sum_g_centered);
      double *wa = weight_acc_.data(), *ba = bias_acc_.data();
      for (int64_t i = 0; i < size_; ++i) {
        wa[i] += static_cast<double>(dy[i]) * ((x[i] - mean) * rstd);
        ba[i] += dy[i];
      }
    } else {
      gradient_moments(dy, x, mean, size_, sum_g, sum_g_centered);
    }
    const double sum_g_xhat = sum_g_centered * rstd;
    if (!grad_input) continue;
    float *dx = grad_input->data() + r * size_;
    const float mean_g = static_cast<float>(sum_g / size_);
    const float mean_g_xhat = static_cast<float>(sum_g_xhat / size_);
    const float *g = affine_ ? g_.data() : dy;
    for (int64_t i = 0; i < size_; ++i) {
      const float xhat = (x[i] - mean) * rstd;
      dx[i] = rstd * (g[i] - mean_g - xhat * mean_g_xhat);
    }
  }
  if (affine_) {
    for (int64_t i = 0; i < size_; ++i) {
      weight_grad_[i] = static_cast<float>(weight_acc_[i]);
      bias_grad_[i] = static_cast<float>(bias_acc_[i]);
    }
  }
}

StateTensors<LayerNorm> LayerNorm::tensors(const LayerNormConfig &c) {
  StateTensors<LayerNorm> t;
  if (c.affine) {
    t.add("weight", c.normalized_shape, &LayerNorm::weight_, &LayerNorm::weight_grad_);
    t.add("bias", c.normalized_shape, &LayerNorm::bias_, &LayerNorm::bias_grad_);
  }
  return t;
}

void LayerNorm::visit_tensors(const std::string &prefix, StateVisitor &visitor) {
  tensors(options()).visit(*this, prefix, visitor);
}

void LayerNorm::declare(const LayerNormConfig &config, const std::string &prefix,
                        StateVisitor &visitor) {
  tensors(config).declare(prefix, visitor);
}

}  // namespace nnstate
