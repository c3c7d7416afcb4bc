#include "train/grad_clip.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "util/error.h"

namespace nnstate {
namespace {

// One tensor's p-norm. Sums run in double (PyTorch's CPU reductions accumulate float in
// double too) and the result is rounded to float32, the dtype PyTorch's norm returns.
float tensor_norm(const Tensor &g, double p) {
  const float *v = g.data();
  const int64_t n = g.numel();
  if (std::isinf(p)) {
    float largest = 0.0f;
    for (int64_t i = 0; i < n; ++i) {
      const float a = std::fabs(v[i]);
      // NaN propagates, as torch's max does.
      if (a > largest || std::isnan(a)) largest = a;
      if (std::isnan(largest)) break;
    }
    return largest;
  }
  double sum = 0.0;
  if (p == 2.0) {
    for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(v[i]) * v[i];
    return static_cast<float>(std::sqrt(sum));
  }
  if (p == 1.0) {
    for (int64_t i = 0; i < n; ++i) sum += std::fabs(static_cast<double>(v[i]));
    return static_cast<float>(sum);
  }
  for (int64_t i = 0; i < n; ++i) sum += std::pow(std::fabs(static_cast<double>(v[i])), p);
  return static_cast<float>(std::pow(sum, 1.0 / p));
}

void check_limit(double value, const char *name) {
  if (!(value >= 0.0) || std::isinf(value)) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT,
         std::string(name) + " must be finite and >= 0 (0: off), got " + std::to_string(value));
  }
}

}  // namespace

void validate_grad_clip_config(const GradClipConfig &config) {
  check_limit(config.max_norm, "clip_grad_norm");
  check_limit(config.clip_value, "clip_grad_value");
  if (!(config.norm_type > 0.0)) {
    fail(NNSTATE_ERR_INVALID_ARGUMENT,
         "clip_norm_type must be > 0 (or infinity), got " + std::to_string(config.norm_type));
  }
}

float grad_total_norm(const std::vector<TensorRef> &params, double norm_type) {
  if (std::isinf(norm_type)) {
    float largest = 0.0f;
    for (const TensorRef &p : params) {
      const float n = tensor_norm(*p.grad, norm_type);
      if (n > largest || std::isnan(n)) largest = n;
      if (std::isnan(largest)) break;
    }
    return largest;
  }
  // torch.norm(torch.stack(per_tensor_norms), p): the per-tensor norms are float32 values.
  double sum = 0.0;
  for (const TensorRef &p : params) {
    const double n = tensor_norm(*p.grad, norm_type);
    sum += norm_type == 2.0 ? n * n : std::pow(n, norm_type);
  }
  if (norm_type == 2.0) return static_cast<float>(std::sqrt(sum));
  if (norm_type == 1.0) return static_cast<float>(sum);
  return static_cast<float>(std::pow(sum, 1.0 / norm_type));
}

void check_finite_norm(float total, double norm_type) {
  if (std::isfinite(total)) return;
  fail(NNSTATE_ERR_INVALID_ARGUMENT,
       "the total norm of order " + std::to_string(norm_type) +
           " of the gradients is non-finite, so it cannot be clipped (error_if_nonfinite)");
}

void scale_grads_to_norm(const std::vector<TensorRef> &params, double max_norm, float total) {
  // PyTorch: clip_coef = max_norm / (total_norm + 1e-6), clamped to at most 1, all in float32;
  // the gradients are multiplied even when the factor is 1 (a no-op), and by NaN when the norm
  // is NaN (std::min keeps a NaN first argument).
  const float factor = std::min(static_cast<float>(max_norm) / (total + 1e-6f), 1.0f);
  for (const TensorRef &p : params) {
    float *g = p.grad->data();
    const int64_t n = p.grad->numel();
    for (int64_t i = 0; i < n; ++i) g[i] *= factor;
  }
}

float clip_grad_norm(const std::vector<TensorRef> &params, double max_norm, double norm_type,
                     bool error_if_nonfinite) {
  if (params.empty()) return 0.0f;
  const float total = grad_total_norm(params, norm_type);
  if (error_if_nonfinite) check_finite_norm(total, norm_type);
  scale_grads_to_norm(params, max_norm, total);
  return total;
}

void clip_grad_value(const std::vector<TensorRef> &params, double clip_value) {
  const float hi = static_cast<float>(clip_value), lo = -hi;
  for (const TensorRef &p : params) {
    float *g = p.grad->data();
    const int64_t n = p.grad->numel();
    // torch.clamp keeps NaN as NaN.
    for (int64_t i = 0; i < n; ++i)
      g[i] = std::isnan(g[i]) ? g[i] : std::min(std::max(g[i], lo), hi);
  }
}

}  // namespace nnstate
