// Gradient clipping with PyTorch 1.13's semantics: torch.nn.utils.clip_grad_norm_ (one total
// norm over every parameter's gradient, scaled by max_norm / (total + 1e-6) clamped to 1) and
// clip_grad_value_ (each element clamped to [-v, v]). Both work in place and allocate nothing.
#pragma once

#include <vector>

#include "tensor/tensor_ref.h"

namespace nnstate {

struct GradClipConfig {
  double max_norm = 0.0;            // clip_grad_norm_'s max_norm; 0: no norm clipping
  double norm_type = 2.0;           // any p > 0, or infinity (the largest magnitude)
  bool error_if_nonfinite = false;  // a NaN or infinite total norm throws instead of scaling
  double clip_value = 0.0;          // clip_grad_value_'s clip_value; 0: no value clipping

  bool clips_norm() const { return max_norm > 0.0; }
  bool clips_value() const { return clip_value > 0.0; }
};

// Throws INVALID_ARGUMENT naming the field for negative or non-finite limits or a norm type
// that is not positive.
void validate_grad_clip_config(const GradClipConfig &config);

// The norm of all gradients of `params` together, as clip_grad_norm_ computes it: the p-norm of
// the per-tensor p-norms (for infinity, the largest magnitude), in float32 as PyTorch returns it.
float grad_total_norm(const std::vector<TensorRef> &params, double norm_type);

// clip_grad_norm_: scales every gradient by min(1, max_norm / (total + 1e-6)) and returns the
// total norm before scaling. With error_if_nonfinite a NaN or infinite total throws
// INVALID_ARGUMENT before any gradient changes (PyTorch raises a RuntimeError there).
float clip_grad_norm(const std::vector<TensorRef> &params, double max_norm, double norm_type,
                     bool error_if_nonfinite);

// clip_grad_norm in parts, for a caller that looks at the total first: the error of
// error_if_nonfinite for a non-finite `total`, and the scaling by min(1, max_norm / (total +
// 1e-6)).
void check_finite_norm(float total, double norm_type);
void scale_grads_to_norm(const std::vector<TensorRef> &params, double max_norm, float total);

// clip_grad_value_: clamps every gradient element to [-clip_value, clip_value].
void clip_grad_value(const std::vector<TensorRef> &params, double clip_value);

}  // namespace nnstate
